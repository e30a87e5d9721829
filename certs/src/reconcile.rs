//! One run against the cluster: read the Secret and the MutatingWebhookConfiguration, take the
//! step [`plan`] decides, write the Secret (optimistic concurrency: a conflicting writer makes
//! the run start over), and publish the Secret's CA bundle in every webhook's `caBundle`.

use std::fmt;
use std::time::SystemTime;

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use serde_json::json;

use crate::error::CertError;
use crate::material::{self, CertInfo};
use crate::plan::{Plan, RENEWAL_DUE, execute, plan};
use crate::spec::CertSpec;
use crate::state::{self, CertState, Contents, read_state};

/// A run rereads and retries this many times when another writer changes the Secret under it.
const MAX_ATTEMPTS: usize = 3;

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The step taken (`Keep` or `Wait` when the Secret was left as it was).
    pub plan: Plan,
    pub secret_written: bool,
    /// Webhooks whose `caBundle` was patched.
    pub webhooks_patched: usize,
    /// The CA bundle (PEM) in the Secret and in every webhook after the run.
    pub ca_bundle: String,
    /// Expiry of the serving certificate in the Secret after the run.
    pub serving_not_after: Option<SystemTime>,
}

impl Outcome {
    /// Whether the run changed anything in the cluster.
    pub fn changed(&self) -> bool {
        self.secret_written || self.webhooks_patched > 0
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.changed() {
            write!(f, "nothing to change ({:?})", self.plan)?;
        } else {
            write!(
                f,
                "step {:?}; Secret written: {}; caBundle patched in {} webhook(s)",
                self.plan, self.secret_written, self.webhooks_patched
            )?;
        }
        if let Some(t) = self.serving_not_after {
            write!(
                f,
                "; serving certificate valid until {}",
                state::timestamp(t)
            )?;
        }
        Ok(())
    }
}

/// Bring the Secret and the caBundle one step closer to valid, rotated certificates.
/// Idempotent: a run right after a run changes nothing (`Outcome::changed` is false).
pub async fn reconcile(
    client: &kube::Client,
    spec: &CertSpec,
    now: SystemTime,
) -> Result<Outcome, CertError> {
    for _ in 0..MAX_ATTEMPTS {
        match reconcile_once(client, spec, now).await {
            Err(Attempt::Conflict) => {
                tracing::info!(secret = %spec.secret_name, "Secret changed during the run; reading it again");
            }
            Err(Attempt::Failed(e)) => return Err(e),
            Ok(outcome) => return Ok(outcome),
        }
    }
    Err(CertError::SecretConflict {
        namespace: spec.namespace.clone(),
        name: spec.secret_name.clone(),
        attempts: MAX_ATTEMPTS,
    })
}

enum Attempt {
    Conflict,
    Failed(CertError),
}

impl From<CertError> for Attempt {
    fn from(e: CertError) -> Self {
        Attempt::Failed(e)
    }
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

async fn reconcile_once(
    client: &kube::Client,
    spec: &CertSpec,
    now: SystemTime,
) -> Result<Outcome, Attempt> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &spec.namespace);
    let mwcs: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    let existing =
        secrets
            .get_opt(&spec.secret_name)
            .await
            .map_err(|source| CertError::ReadSecret {
                namespace: spec.namespace.clone(),
                name: spec.secret_name.clone(),
                source,
            })?;
    let mwc = mwcs.get_opt(&spec.webhook_config).await.map_err(|source| {
        CertError::ReadMutatingWebhookConfiguration {
            name: spec.webhook_config.clone(),
            source,
        }
    })?;
    let state = read_state(existing.as_ref(), spec, now);
    let current_bundle = match &state {
        CertState::Usable(m) => Some(material::bundle_pem(&m.bundle)),
        _ => None,
    };
    let published = match (&mwc, &current_bundle) {
        (Some(mwc), Some(bundle)) => stale_webhooks(mwc, bundle).is_empty(),
        _ => false,
    };
    let step = plan(&state, published, spec, now);
    log_step(spec, &state, &step);
    let contents = execute(&step, &state, spec, now)?;
    let secret_written = match &contents {
        Some(c) => {
            write_secret(&secrets, spec, existing.as_ref(), &state, c, now).await?;
            true
        }
        None => false,
    };
    let (bundle, serving_not_after) = match (&contents, &state) {
        (Some(c), _) => (c.bundle_pem(), serving_expiry(c)),
        (None, CertState::Usable(m)) => (
            material::bundle_pem(&m.bundle),
            m.serving.as_ref().ok().map(|s| s.info.not_after),
        ),
        (None, _) => unreachable!("plan writes the Secret whenever it is not usable"),
    };
    let Some(mwc) = mwc else {
        return Err(CertError::MutatingWebhookConfigurationNotFound {
            name: spec.webhook_config.clone(),
        }
        .into());
    };
    let webhooks_patched = publish(&mwcs, spec, &mwc, &bundle).await?;
    Ok(Outcome {
        plan: step,
        secret_written,
        webhooks_patched,
        ca_bundle: bundle,
        serving_not_after,
    })
}

fn serving_expiry(c: &Contents) -> Option<SystemTime> {
    material::parse_certs(c.serving.cert_pem.as_bytes())
        .ok()
        .map(|certs| certs[0].not_after)
}

fn log_step(spec: &CertSpec, state: &CertState, step: &Plan) {
    let secret = format!("{}/{}", spec.namespace, spec.secret_name);
    match (state, step) {
        (CertState::Unusable { reason, .. }, _) => tracing::warn!(
            %secret, %reason, "the certificate Secret cannot be used; replacing it with a new CA and serving certificate"
        ),
        (_, Plan::IssueServing { reason }) if reason != RENEWAL_DUE => tracing::warn!(
            %secret, %reason, "the serving certificate cannot be used; issuing a new one from the CA"
        ),
        (_, Plan::Wait { reason, until }) => tracing::info!(
            %secret, %reason, until = until.map(state::timestamp), "CA rotation waits"
        ),
        (_, step) => tracing::info!(%secret, ?step, "certificate step"),
    }
}

async fn write_secret(
    secrets: &Api<Secret>,
    spec: &CertSpec,
    existing: Option<&Secret>,
    state: &CertState,
    contents: &Contents,
    now: SystemTime,
) -> Result<(), Attempt> {
    let mut desired = state::secret_object(spec, contents, now);
    let (namespace, name) = (spec.namespace.clone(), spec.secret_name.clone());
    let wrong_type = matches!(
        state,
        CertState::Unusable {
            wrong_type: true,
            ..
        }
    );
    if let Some(old) = existing.filter(|_| !wrong_type) {
        desired.metadata.resource_version = old.metadata.resource_version.clone();
        return match secrets
            .replace(&name, &PostParams::default(), &desired)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_conflict(&e) => Err(Attempt::Conflict),
            Err(source) => Err(CertError::ReplaceSecret {
                namespace,
                name,
                source,
            }
            .into()),
        };
    }
    if let Some(old) = existing {
        // A Secret's type is immutable (ValidateSecretUpdate): delete it, exactly this version.
        let dp = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: old.metadata.resource_version.clone(),
                uid: old.metadata.uid.clone(),
            }),
            ..DeleteParams::default()
        };
        match secrets.delete(&name, &dp).await {
            Ok(_) => {}
            Err(e) if is_conflict(&e) => return Err(Attempt::Conflict),
            Err(source) => {
                return Err(CertError::DeleteSecret {
                    namespace,
                    name,
                    source,
                }
                .into());
            }
        }
    }
    match secrets.create(&PostParams::default(), &desired).await {
        Ok(_) => Ok(()),
        Err(e) if is_conflict(&e) => Err(Attempt::Conflict),
        Err(source) => Err(CertError::CreateSecret {
            namespace,
            name,
            source,
        }
        .into()),
    }
}

/// The certificates of a `caBundle` (empty when absent or unreadable).
fn bundle_certs(bytes: Option<&ByteString>) -> Vec<Vec<u8>> {
    bytes
        .and_then(|b| material::parse_certs(&b.0).ok())
        .map(|certs| certs.into_iter().map(|c: CertInfo| c.der).collect())
        .unwrap_or_default()
}

/// Indices and names of the webhooks whose `caBundle` does not hold exactly `bundle`'s
/// certificates (in order).
fn stale_webhooks(mwc: &MutatingWebhookConfiguration, bundle: &str) -> Vec<(usize, String)> {
    let want = bundle_certs(Some(&ByteString(bundle.as_bytes().to_vec())));
    mwc.webhooks
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, w)| bundle_certs(w.client_config.ca_bundle.as_ref()) != want)
        .map(|(i, w)| (i, w.name.clone()))
        .collect()
}

/// Patch `bundle` into every webhook that lacks it; returns how many were patched. Each
/// replacement is guarded by a JSON Patch `test` of the webhook's name, so a concurrent edit of
/// the list fails the patch instead of writing into the wrong webhook.
async fn publish(
    mwcs: &Api<MutatingWebhookConfiguration>,
    spec: &CertSpec,
    mwc: &MutatingWebhookConfiguration,
    bundle: &str,
) -> Result<usize, CertError> {
    let name = spec.webhook_config.clone();
    if mwc.webhooks.as_ref().is_none_or(Vec::is_empty) {
        return Err(CertError::MutatingWebhookConfigurationEmpty { name });
    }
    let stale = stale_webhooks(mwc, bundle);
    if stale.is_empty() {
        return Ok(0);
    }
    let value =
        serde_json::to_value(ByteString(bundle.as_bytes().to_vec())).expect("bytes serialize");
    let ops: Vec<_> = stale
        .iter()
        .flat_map(|(i, hook)| {
            [
                json!({"op": "test", "path": format!("/webhooks/{i}/name"), "value": hook}),
                json!({"op": "add", "path": format!("/webhooks/{i}/clientConfig/caBundle"), "value": value}),
            ]
        })
        .collect();
    let patch: json_patch::Patch = serde_json::from_value(json!(ops)).expect("well-formed ops");
    mwcs.patch(&name, &PatchParams::default(), &Patch::Json::<()>(patch))
        .await
        .map_err(|source| CertError::PatchMutatingWebhookConfiguration {
            name: name.clone(),
            source,
        })?;
    tracing::info!(configuration = %name, webhooks = stale.len(), "published the CA bundle in caBundle");
    Ok(stale.len())
}
