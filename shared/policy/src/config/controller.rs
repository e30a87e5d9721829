//! The in-place resize controller's own settings (none of them existed in the original
//! controller): where metrics come from (`METRICS_SOURCE`), which namespaces are managed, safety
//! limits, follow-up of pending resizes, the admin port and leader election.
use std::time::Duration;

use super::metrics::boolean;
use super::{ConfigError, positive, whole};

/// `METRICS_SOURCE`: `url` (the original's `METRICS_SERVER_URL`, so the binary run bare behaves
/// as the original did; DESIGN §4). deploy/ sets `api`.
pub const DEFAULT_METRICS_SOURCE: MetricsSource = MetricsSource::Url;
/// `NAMESPACE_LABEL`: the namespace label that opts a namespace in (DESIGN §1, step 2).
pub const DEFAULT_NAMESPACE_LABEL: &str = "rightsize.dev/enabled=true";
/// `EXCLUDED_NAMESPACES`: never managed, besides the controller's own namespace: resizing the
/// control plane's pods is not ours to do (the webhook excludes it as well).
pub const DEFAULT_EXCLUDED_NAMESPACES: &str = "kube-system";
/// `POD_NAMESPACE`: the controller's own namespace (downward API), home of the history shards
/// and the Lease.
pub const DEFAULT_POD_NAMESPACE: &str = "rightsize-system";
/// `MAX_RESIZES_PER_CYCLE`: a cap on the API writes of one cycle, so that a policy bug or a
/// metrics glitch cannot resize the whole cluster at once.
pub const DEFAULT_MAX_RESIZES_PER_CYCLE: i64 = 50;
/// `MAX_RESIZES_PER_WORKLOAD`: at most this many pods of one workload per cycle: the others
/// follow in the next cycles, so a bad size never hits every replica together.
pub const DEFAULT_MAX_RESIZES_PER_WORKLOAD: i64 = 1;
/// `RESIZE_DEFERRED_WAIT`: seconds a resize may stay `Deferred` before the target is lowered
/// toward what the node has free. The kubelet retries deferred resizes by itself (KEP-1287
/// §Priority of Resize Requests), so give it a few metrics cycles first.
pub const DEFAULT_RESIZE_DEFERRED_WAIT_SECONDS: f64 = 120.0;
/// `ADMIN_ADDR`: `/healthz`, `/readyz`, `/metrics` (plain HTTP).
pub const DEFAULT_ADMIN_ADDR: &str = "0.0.0.0:8080";
/// `LEASE_NAME`: the Lease in `POD_NAMESPACE` that elects the acting replica.
pub const DEFAULT_LEASE_NAME: &str = "rightsize-controller";
/// `LEASE_DURATION`: seconds a leader holds the lease without renewing it; a standby takes over
/// at most this long (plus one retry) after the leader dies. 15 s as kube-controller-manager's
/// `--leader-elect-lease-duration`.
pub const DEFAULT_LEASE_DURATION_SECONDS: f64 = 15.0;
/// `HISTORY_FLUSH_INTERVAL`: seconds between periodic history flushes (the history crate's
/// default, one minute).
pub const DEFAULT_HISTORY_FLUSH_INTERVAL_SECONDS: f64 = 60.0;

/// Where the controller reads usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsSource {
    /// `METRICS_SERVER_URL` with reqwest, `VERIFY_CERT` and the ServiceAccount token.
    Url,
    /// `metrics.k8s.io` through the API server.
    Api,
}

impl MetricsSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Url => "url",
            Self::Api => "api",
        }
    }
}

/// The controller's own settings, as given.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct ControllerArgs {
    /// Where usage comes from: `url` (METRICS_SERVER_URL) or `api` (metrics.k8s.io).
    #[arg(long, env = "METRICS_SOURCE", value_name = "SOURCE", default_value_t = DEFAULT_METRICS_SOURCE.as_str().to_owned())]
    pub metrics_source: String,
    /// Bearer token file sent to METRICS_SERVER_URL (the ServiceAccount token).
    #[arg(
        long,
        env = "SERVICE_ACCOUNT_TOKEN_FILE",
        value_name = "PATH",
        default_value = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    )]
    pub service_account_token_file: String,
    /// Extra CA certificate (PEM) trusted for METRICS_SERVER_URL and KUBE_STATE_METRICS_URL.
    #[arg(long, env = "METRICS_CA_FILE", value_name = "PATH")]
    pub metrics_ca_file: Option<String>,
    /// Label (`key=value`) of the namespaces whose pods are managed.
    #[arg(long, env = "NAMESPACE_LABEL", value_name = "KEY=VALUE", default_value = DEFAULT_NAMESPACE_LABEL)]
    pub namespace_label: String,
    /// Comma-separated namespaces never managed (the controller's own is always excluded).
    #[arg(long, env = "EXCLUDED_NAMESPACES", value_name = "LIST", default_value = DEFAULT_EXCLUDED_NAMESPACES)]
    pub excluded_namespaces: String,
    /// The controller's own namespace (history shards, Lease).
    #[arg(long, env = "POD_NAMESPACE", value_name = "NAMESPACE", default_value = DEFAULT_POD_NAMESPACE)]
    pub pod_namespace: String,
    /// This replica's name (Lease holder identity, Event reporter).
    #[arg(long, env = "POD_NAME", value_name = "NAME")]
    pub pod_name: Option<String>,
    /// Only annotate and record recommendations: never resize (true/false).
    #[arg(
        long,
        env = "RECOMMEND_ONLY",
        value_name = "BOOL",
        default_value = "false"
    )]
    pub recommend_only: String,
    /// Resize pods whose memory resizePolicy is RestartContainer (restarts them; true/false).
    #[arg(
        long,
        env = "ALLOW_RESTART_RESIZE",
        value_name = "BOOL",
        default_value = "false"
    )]
    pub allow_restart_resize: String,
    /// At most this many resizes per metrics cycle (>= 1).
    #[arg(long, env = "MAX_RESIZES_PER_CYCLE", value_name = "N", allow_negative_numbers = true, default_value_t = DEFAULT_MAX_RESIZES_PER_CYCLE.to_string())]
    pub max_resizes_per_cycle: String,
    /// At most this many pods of one workload resized per metrics cycle (>= 1).
    #[arg(long, env = "MAX_RESIZES_PER_WORKLOAD", value_name = "N", allow_negative_numbers = true, default_value_t = DEFAULT_MAX_RESIZES_PER_WORKLOAD.to_string())]
    pub max_resizes_per_workload: String,
    /// Seconds a Deferred resize waits before its target is lowered toward what fits (> 0).
    #[arg(long, env = "RESIZE_DEFERRED_WAIT", value_name = "SECONDS", allow_negative_numbers = true, default_value_t = DEFAULT_RESIZE_DEFERRED_WAIT_SECONDS.to_string())]
    pub resize_deferred_wait: String,
    /// Address of the admin server (/healthz, /readyz, /metrics).
    #[arg(long, env = "ADMIN_ADDR", value_name = "ADDR", default_value = DEFAULT_ADMIN_ADDR)]
    pub admin_addr: String,
    /// Elect one acting replica through a Lease (true/false).
    #[arg(
        long,
        env = "LEADER_ELECTION",
        value_name = "BOOL",
        default_value = "true"
    )]
    pub leader_election: String,
    /// Name of the Lease.
    #[arg(long, env = "LEASE_NAME", value_name = "NAME", default_value = DEFAULT_LEASE_NAME)]
    pub lease_name: String,
    /// Seconds a lease is held without renewal (> 0).
    #[arg(long, env = "LEASE_DURATION", value_name = "SECONDS", allow_negative_numbers = true, default_value_t = DEFAULT_LEASE_DURATION_SECONDS.to_string())]
    pub lease_duration: String,
    /// Seconds between periodic history flushes (> 0).
    #[arg(long, env = "HISTORY_FLUSH_INTERVAL", value_name = "SECONDS", allow_negative_numbers = true, default_value_t = DEFAULT_HISTORY_FLUSH_INTERVAL_SECONDS.to_string())]
    pub history_flush_interval: String,
}

/// [`ControllerArgs`], validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ControllerConfig {
    pub metrics_source: MetricsSource,
    pub service_account_token_file: String,
    pub metrics_ca_file: Option<String>,
    /// (key, value) of the opt-in namespace label.
    pub namespace_label: (String, String),
    /// Never managed; the own namespace included.
    pub excluded_namespaces: Vec<String>,
    pub pod_namespace: String,
    pub pod_name: Option<String>,
    pub recommend_only: bool,
    pub allow_restart_resize: bool,
    pub max_resizes_per_cycle: usize,
    pub max_resizes_per_workload: usize,
    pub resize_deferred_wait: Duration,
    pub admin_addr: std::net::SocketAddr,
    pub leader_election: bool,
    pub lease_name: String,
    pub lease_duration: Duration,
    pub history_flush_interval: Duration,
}

impl ControllerArgs {
    pub fn config(&self) -> Result<ControllerConfig, ConfigError> {
        let metrics_source = match self.metrics_source.trim().to_ascii_lowercase().as_str() {
            "url" => MetricsSource::Url,
            "api" => MetricsSource::Api,
            _ => {
                return Err(ConfigError::invalid(
                    "METRICS_SOURCE",
                    &self.metrics_source,
                    "expected url or api",
                ));
            }
        };
        let namespace_label = match self.namespace_label.trim().split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => (k.trim().to_owned(), v.trim().to_owned()),
            _ => {
                return Err(ConfigError::invalid(
                    "NAMESPACE_LABEL",
                    &self.namespace_label,
                    "expected key=value",
                ));
            }
        };
        let pod_namespace = self.pod_namespace.trim().to_owned();
        if pod_namespace.is_empty() {
            return Err(ConfigError::invalid(
                "POD_NAMESPACE",
                &self.pod_namespace,
                "must not be empty",
            ));
        }
        let mut excluded: Vec<String> = self
            .excluded_namespaces
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if !excluded.contains(&pod_namespace) {
            excluded.push(pod_namespace.clone());
        }
        let admin_addr = self.admin_addr.trim().parse().map_err(|_| {
            ConfigError::invalid("ADMIN_ADDR", &self.admin_addr, "expected host:port")
        })?;
        let seconds = |var, value: &str| positive(var, value).map(Duration::from_secs_f64);
        Ok(ControllerConfig {
            metrics_source,
            service_account_token_file: self.service_account_token_file.trim().to_owned(),
            metrics_ca_file: self
                .metrics_ca_file
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            namespace_label,
            excluded_namespaces: excluded,
            pod_namespace,
            pod_name: self
                .pod_name
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            recommend_only: boolean("RECOMMEND_ONLY", &self.recommend_only)?,
            allow_restart_resize: boolean("ALLOW_RESTART_RESIZE", &self.allow_restart_resize)?,
            max_resizes_per_cycle: whole(
                "MAX_RESIZES_PER_CYCLE",
                &self.max_resizes_per_cycle,
                1,
                1_000_000,
            )? as usize,
            max_resizes_per_workload: whole(
                "MAX_RESIZES_PER_WORKLOAD",
                &self.max_resizes_per_workload,
                1,
                1_000_000,
            )? as usize,
            resize_deferred_wait: seconds("RESIZE_DEFERRED_WAIT", &self.resize_deferred_wait)?,
            admin_addr,
            leader_election: boolean("LEADER_ELECTION", &self.leader_election)?,
            lease_name: self.lease_name.trim().to_owned(),
            lease_duration: seconds("LEASE_DURATION", &self.lease_duration)?,
            history_flush_interval: seconds(
                "HISTORY_FLUSH_INTERVAL",
                &self.history_flush_interval,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::parse_flags;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        controller: ControllerArgs,
    }

    fn config(args: &[&str]) -> Result<ControllerConfig, ConfigError> {
        parse_flags::<Cli>(args).controller.config()
    }

    #[test]
    fn defaults_read_metrics_by_url_and_exclude_kube_system_and_the_own_namespace() {
        let c = config(&[]).unwrap();
        assert_eq!(c.metrics_source, MetricsSource::Url);
        assert_eq!(
            c.namespace_label,
            ("rightsize.dev/enabled".into(), "true".into())
        );
        assert_eq!(c.excluded_namespaces, ["kube-system", "rightsize-system"]);
        assert!(!c.recommend_only);
        assert_eq!(c.max_resizes_per_workload, 1);
        assert!(c.leader_election);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (args, var) in [
            (&["--metrics-source", "prom"][..], "METRICS_SOURCE"),
            (&["--namespace-label", "novalue"], "NAMESPACE_LABEL"),
            (&["--max-resizes-per-cycle", "0"], "MAX_RESIZES_PER_CYCLE"),
            (&["--resize-deferred-wait", "-1"], "RESIZE_DEFERRED_WAIT"),
            (&["--recommend-only", "maybe"], "RECOMMEND_ONLY"),
            (&["--admin-addr", "localhost"], "ADMIN_ADDR"),
        ] {
            assert_eq!(config(args).unwrap_err().var(), var, "{args:?}");
        }
    }
}
