//! Command line of `rightsize-webhook`: every flag also an environment variable (DESIGN §4),
//! the policy's settings shared with the controller through `#[command(flatten)]`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use rightsize_policy::config::{LoggingArgs, PolicyArgs};

use crate::admission::AdmissionArgs;

use crate::admin::DEFAULT_ADMIN_LISTEN;
use crate::server::DEFAULT_LISTEN;

/// Where a mounted `kubernetes.io/tls` Secret puts its files in deploy/.
pub const DEFAULT_TLS_CERT: &str = "/etc/rightsize/tls/tls.crt";
pub const DEFAULT_TLS_KEY: &str = "/etc/rightsize/tls/tls.key";
/// Namespace of the history shards: the controller's own (deploy/).
pub const DEFAULT_HISTORY_NAMESPACE: &str = "rightsize-system";
/// Seconds requests in flight get to finish after SIGTERM (below the pod's default 30 s grace).
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 10;

/// Mutating admission webhook: sizes new pods from their workload's history.
#[derive(Parser, Clone, Debug)]
#[command(name = "rightsize-webhook", version, about)]
pub struct Args {
    /// Address of the HTTPS admission server (`POST /mutate`).
    #[arg(long, env = "LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Address of the plain-HTTP admin server (`/healthz`, `/readyz`, `/metrics`).
    #[arg(long, env = "ADMIN_LISTEN", default_value = DEFAULT_ADMIN_LISTEN)]
    pub admin_listen: SocketAddr,
    /// PEM certificate chain (re-read when the mounted Secret changes).
    #[arg(long, env = "TLS_CERT", default_value = DEFAULT_TLS_CERT)]
    pub tls_cert: PathBuf,
    /// PEM private key of the certificate.
    #[arg(long, env = "TLS_KEY", default_value = DEFAULT_TLS_KEY)]
    pub tls_key: PathBuf,
    /// Namespace of the history store's ConfigMaps.
    #[arg(long, env = "HISTORY_NAMESPACE", default_value = DEFAULT_HISTORY_NAMESPACE)]
    pub history_namespace: String,
    /// Seconds requests in flight may take to finish after SIGTERM.
    #[arg(long, env = "SHUTDOWN_GRACE_SECONDS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECONDS)]
    pub shutdown_grace_seconds: u64,
    #[command(flatten)]
    pub admission: AdmissionArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub logging: LoggingArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_8443_and_8080() {
        let a = Args::try_parse_from(["rightsize-webhook"]).unwrap();
        assert_eq!(a.listen.port(), 8443);
        assert_eq!(a.admin_listen.port(), 8080);
        assert_eq!(a.history_namespace, DEFAULT_HISTORY_NAMESPACE);
        assert_eq!(a.policy.policy, "rightsize");
    }

    #[test]
    fn flags_take_addresses_and_paths() {
        let a = Args::try_parse_from([
            "rightsize-webhook",
            "--listen",
            "127.0.0.1:9443",
            "--tls-cert",
            "/tmp/c.pem",
            "--history-namespace",
            "ops",
            "--policy",
            "seed",
        ])
        .unwrap();
        assert_eq!(a.listen, "127.0.0.1:9443".parse().unwrap());
        assert_eq!(a.tls_cert, PathBuf::from("/tmp/c.pem"));
        assert_eq!(a.history_namespace, "ops");
        assert_eq!(a.policy.policy, "seed");
    }
}
