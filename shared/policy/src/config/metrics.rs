//! Where and how often the controller reads metrics (`METRICS_SERVER_URL`, `VERIFY_CERT`,
//! `METRICS_FETCH_INTERVAL`, `KUBE_STATE_METRICS_URL`) and which pods it watches
//! (`LABEL_SELECTOR`).
use std::time::Duration;

use super::{ConfigError, positive_seconds};

/// `METRICS_SERVER_URL`: metrics-server's in-cluster Service (ORIGINAL.md).
pub const DEFAULT_METRICS_SERVER_URL: &str = "https://metrics-server.kube-system.svc.cluster.local";
/// `VERIFY_CERT`: verify TLS certificates of the metrics endpoints (ORIGINAL.md: `true`).
pub const DEFAULT_VERIFY_CERT: bool = true;
/// `METRICS_FETCH_INTERVAL`: seconds between metrics reads (ORIGINAL.md: 30).
pub const DEFAULT_METRICS_FETCH_INTERVAL_SECONDS: f64 = 30.0;

/// Where and how often metrics are read (controller).
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct MetricsArgs {
    /// URL of metrics-server.
    #[arg(
        long,
        env = "METRICS_SERVER_URL",
        value_name = "URL",
        default_value = DEFAULT_METRICS_SERVER_URL
    )]
    pub metrics_server_url: String,
    /// Verify TLS certificates of the metrics endpoints (true/false).
    #[arg(
        long,
        env = "VERIFY_CERT",
        value_name = "BOOL",
        default_value_t = DEFAULT_VERIFY_CERT.to_string()
    )]
    pub verify_cert: String,
    /// Seconds between metrics reads (> 0).
    #[arg(
        long,
        env = "METRICS_FETCH_INTERVAL",
        allow_negative_numbers = true,
        value_name = "SECONDS",
        default_value_t = DEFAULT_METRICS_FETCH_INTERVAL_SECONDS.to_string()
    )]
    pub metrics_fetch_interval: String,
    /// URL of kube-state-metrics (not set: not used).
    #[arg(long, env = "KUBE_STATE_METRICS_URL", value_name = "URL")]
    pub kube_state_metrics_url: Option<String>,
}

/// [`MetricsArgs`], validated.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsConfig {
    pub metrics_server_url: String,
    pub verify_cert: bool,
    pub fetch_interval: Duration,
    pub kube_state_metrics_url: Option<String>,
}

impl MetricsArgs {
    pub fn config(&self) -> Result<MetricsConfig, ConfigError> {
        let fetch_interval =
            positive_seconds("METRICS_FETCH_INTERVAL", &self.metrics_fetch_interval)?;
        let ksm = self
            .kube_state_metrics_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        Ok(MetricsConfig {
            metrics_server_url: url("METRICS_SERVER_URL", &self.metrics_server_url)?,
            verify_cert: boolean("VERIFY_CERT", &self.verify_cert)?,
            fetch_interval,
            kube_state_metrics_url: ksm.map(|u| url("KUBE_STATE_METRICS_URL", u)).transpose()?,
        })
    }
}

/// Which pods are watched.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct SelectorArgs {
    /// Label selector of the pods to manage (not set: all pods of opted-in namespaces).
    #[arg(long, env = "LABEL_SELECTOR", value_name = "SELECTOR")]
    pub label_selector: Option<String>,
}

impl SelectorArgs {
    /// The selector, or `None` when unset or blank. Its syntax is checked by the API server on
    /// the first list call.
    pub fn selector(&self) -> Option<&str> {
        self.label_selector
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// true/false, any case, plus the usual 1/0, yes/no, on/off.
pub(super) fn boolean(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::invalid(var, value, "expected true or false")),
    }
}

/// An http(s) URL with a host; the rest is checked when it is first used.
fn url(var: &'static str, value: &str) -> Result<String, ConfigError> {
    let v = value.trim();
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace) => {
            Ok(v.to_owned())
        }
        _ => Err(ConfigError::invalid(
            var,
            value,
            "expected an http:// or https:// URL",
        )),
    }
}
