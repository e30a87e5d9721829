//! The `rightsize-certs` command line: every flag also an environment variable.

use std::time::{Duration, SystemTime};

use clap::Parser;

use crate::spec::{self, CertSpec};

/// Create or renew the webhook's CA and serving certificate, store them in a Secret and publish
/// the CA bundle in the MutatingWebhookConfiguration. One step per run; run it on a schedule.
#[derive(Debug, Clone, Parser)]
#[command(name = "rightsize-certs", version)]
pub struct Args {
    /// Service in front of the webhook; the certificate names `<service>.<namespace>.svc`.
    #[arg(long, env = "WEBHOOK_SERVICE", default_value = "rightsize-webhook")]
    pub service: String,
    /// Namespace of the Service and the Secret.
    #[arg(long, env = "WEBHOOK_NAMESPACE", default_value = "rightsize-system")]
    pub namespace: String,
    /// Secret (type kubernetes.io/tls) holding the certificates.
    #[arg(long, env = "TLS_SECRET", default_value = "rightsize-webhook-tls")]
    pub secret: String,
    /// MutatingWebhookConfiguration whose webhooks get the CA bundle.
    #[arg(long, env = "WEBHOOK_CONFIG", default_value = "rightsize")]
    pub webhook_config: String,
    /// Lifetime of a new CA, in days.
    #[arg(long, env = "CA_VALIDITY_DAYS", default_value_t = days_of(spec::DEFAULT_CA_VALIDITY))]
    pub ca_validity_days: u64,
    /// Lifetime of a new serving certificate, in days.
    #[arg(long, env = "SERVING_VALIDITY_DAYS", default_value_t = days_of(spec::DEFAULT_SERVING_VALIDITY))]
    pub serving_validity_days: u64,
    /// Renew what expires within this many days.
    #[arg(long, env = "RENEW_BEFORE_DAYS", default_value_t = days_of(spec::DEFAULT_RENEW_BEFORE))]
    pub renew_before_days: u64,
    /// Minimum seconds between two steps of a CA rotation.
    #[arg(long, env = "ROTATION_SETTLE_SECONDS", default_value_t = spec::DEFAULT_SETTLE.as_secs())]
    pub settle_seconds: u64,
}

fn days_of(d: Duration) -> u64 {
    d.as_secs() / (24 * 60 * 60)
}

impl Args {
    /// The spec these flags describe; an error names the flag that makes no sense.
    pub fn spec(&self) -> Result<CertSpec, String> {
        if self.renew_before_days >= self.serving_validity_days {
            return Err(format!(
                "--renew-before-days ({}) must be less than --serving-validity-days ({}), or every run would renew",
                self.renew_before_days, self.serving_validity_days
            ));
        }
        if self.serving_validity_days > self.ca_validity_days {
            return Err(format!(
                "--serving-validity-days ({}) must not exceed --ca-validity-days ({})",
                self.serving_validity_days, self.ca_validity_days
            ));
        }
        let mut spec = CertSpec::new(
            &self.service,
            &self.namespace,
            &self.secret,
            &self.webhook_config,
        );
        spec.ca_validity = spec::days(self.ca_validity_days);
        spec.serving_validity = spec::days(self.serving_validity_days);
        spec.renew_before = spec::days(self.renew_before_days);
        spec.settle = Duration::from_secs(self.settle_seconds);
        Ok(spec)
    }

    /// Parse the flags, connect (KUBECONFIG or in-cluster), run once.
    pub async fn run(self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        let spec = self.spec().map_err(anyhow::Error::msg)?;
        let client = kube::Client::try_default()
            .await
            .context("connecting to the Kubernetes API (KUBECONFIG or in-cluster configuration)")?;
        let outcome = crate::reconcile(&client, &spec, SystemTime::now()).await?;
        tracing::info!(changed = outcome.changed(), "{outcome}");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_describe_the_deployed_names_and_lifetimes() {
        let args = Args::try_parse_from(["rightsize-certs"]).unwrap();
        let spec = args.spec().unwrap();
        assert_eq!(
            spec.dns_names()[0],
            "rightsize-webhook.rightsize-system.svc"
        );
        assert_eq!(spec.secret_name, "rightsize-webhook-tls");
        assert_eq!(spec.renew_before, spec::DEFAULT_RENEW_BEFORE);
        assert_eq!(spec.ca_validity, spec::days(1825));
    }

    #[test]
    fn renew_window_longer_than_the_lifetime_is_refused() {
        let args = Args::try_parse_from([
            "rightsize-certs",
            "--serving-validity-days=20",
            "--renew-before-days=30",
        ])
        .unwrap();
        assert!(args.spec().unwrap_err().contains("--renew-before-days"));
    }
}
