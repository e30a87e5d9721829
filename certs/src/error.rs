//! Errors of a reconcile, named after the action that failed (stackable operator-rs style).

/// Why a reconcile could not finish. Each variant names the failed action and its object.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("reading Secret {namespace}/{name}")]
    ReadSecret {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("creating Secret {namespace}/{name}")]
    CreateSecret {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("updating Secret {namespace}/{name}")]
    ReplaceSecret {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error(
        "deleting Secret {namespace}/{name} to recreate it with type kubernetes.io/tls (a Secret's type is immutable)"
    )]
    DeleteSecret {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error(
        "Secret {namespace}/{name} kept changing under this run ({attempts} attempts); another writer is active"
    )]
    SecretConflict {
        namespace: String,
        name: String,
        attempts: usize,
    },
    #[error("reading MutatingWebhookConfiguration {name}")]
    ReadMutatingWebhookConfiguration {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error(
        "MutatingWebhookConfiguration {name} does not exist: apply deploy/ first (the certificate Secret is written; its caBundle is published once the configuration exists)"
    )]
    MutatingWebhookConfigurationNotFound { name: String },
    #[error("MutatingWebhookConfiguration {name} has no webhooks to publish the CA bundle in")]
    MutatingWebhookConfigurationEmpty { name: String },
    #[error("patching the caBundle of MutatingWebhookConfiguration {name}")]
    PatchMutatingWebhookConfiguration {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("generating the {what}")]
    GenerateCertificate {
        what: &'static str,
        #[source]
        source: rcgen::Error,
    },
}

impl CertError {
    /// A short label per variant, for logs and metrics.
    pub fn action(&self) -> &'static str {
        match self {
            Self::ReadSecret { .. } => "read_secret",
            Self::CreateSecret { .. } => "create_secret",
            Self::ReplaceSecret { .. } => "replace_secret",
            Self::DeleteSecret { .. } => "delete_secret",
            Self::SecretConflict { .. } => "secret_conflict",
            Self::ReadMutatingWebhookConfiguration { .. } => "read_webhook_configuration",
            Self::MutatingWebhookConfigurationNotFound { .. } => "webhook_configuration_not_found",
            Self::MutatingWebhookConfigurationEmpty { .. } => "webhook_configuration_empty",
            Self::PatchMutatingWebhookConfiguration { .. } => "patch_webhook_configuration",
            Self::GenerateCertificate { .. } => "generate_certificate",
        }
    }
}
