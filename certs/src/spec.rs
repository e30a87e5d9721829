//! What to certify and for how long: [`CertSpec`] and its defaults.

use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A CA lives five years: rotating it takes three scheduled runs (add, switch, drop), so it
/// should be rare, yet short enough that a leaked CA key does not outlive the installation.
pub const DEFAULT_CA_VALIDITY: Duration = Duration::from_secs(5 * 365 * 24 * 60 * 60);
/// The serving certificate lives one year (capped at its CA's expiry); re-issuing it from the
/// same CA changes nothing the API server trusts, so it can be frequent.
pub const DEFAULT_SERVING_VALIDITY: Duration = Duration::from_secs(365 * 24 * 60 * 60);
/// Renew anything that expires within 30 days: many scheduled runs fall inside that window, so
/// one failed run (or a paused CronJob) never lets a certificate expire unnoticed (the failure
/// behind VPA's certificate loops, kubernetes/autoscaler #7795).
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Minimum time between two steps of a CA rotation. A Secret change reaches the webhook's
/// mounted files after the kubelet sync period plus its cache delay (Kubernetes docs,
/// "Secrets", mounted Secrets are updated automatically: about a minute each by default), and a
/// MutatingWebhookConfiguration change reaches every API server through its informer within
/// seconds; ten minutes covers both with margin.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(10 * 60);
/// Certificates start a little in the past, so a node whose clock lags still accepts them.
pub const BACKDATE: Duration = Duration::from_secs(5 * 60);

/// The certificate to maintain: for Service `service` in `namespace`, stored in Secret
/// `secret_name` (same namespace), published in MutatingWebhookConfiguration `webhook_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSpec {
    pub service: String,
    pub namespace: String,
    pub secret_name: String,
    pub webhook_config: String,
    /// Lifetime of a new CA.
    pub ca_validity: Duration,
    /// Lifetime of a new serving certificate (never past its CA's expiry).
    pub serving_validity: Duration,
    /// Anything expiring within this window is renewed.
    pub renew_before: Duration,
    /// Minimum time between two steps of a CA rotation.
    pub settle: Duration,
}

impl CertSpec {
    /// A spec with the default lifetimes.
    pub fn new(service: &str, namespace: &str, secret_name: &str, webhook_config: &str) -> Self {
        Self {
            service: service.into(),
            namespace: namespace.into(),
            secret_name: secret_name.into(),
            webhook_config: webhook_config.into(),
            ca_validity: DEFAULT_CA_VALIDITY,
            serving_validity: DEFAULT_SERVING_VALIDITY,
            renew_before: DEFAULT_RENEW_BEFORE,
            settle: DEFAULT_SETTLE,
        }
    }

    /// The names the serving certificate carries. The API server verifies a `clientConfig.service`
    /// webhook against `<service>.<namespace>.svc` (admission docs, "Contacting the webhook");
    /// the `.cluster.local` form serves in-cluster clients that use the full name.
    pub fn dns_names(&self) -> Vec<String> {
        let short = format!("{}.{}.svc", self.service, self.namespace);
        vec![short.clone(), format!("{short}.cluster.local")]
    }
}

/// `days` as a duration (for flags and tests).
pub fn days(days: u64) -> Duration {
    DAY * days as u32
}
