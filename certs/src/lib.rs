//! `rightsize-certs`: the webhook's CA and serving certificate (rcgen, ring), kept in a
//! `kubernetes.io/tls` Secret, with the CA bundle published in the `caBundle` of every webhook of
//! the MutatingWebhookConfiguration. Runs on a schedule (deploy/: a first Job and a CronJob);
//! each run takes at most one step and a second run in a row changes nothing.
//!
//! ```no_run
//! # async fn demo(client: kube::Client) -> Result<(), rightsize_certs::CertError> {
//! use rightsize_certs::{CertSpec, reconcile};
//! let spec = CertSpec::new("rightsize-webhook", "rightsize-system", "rightsize-webhook-tls", "rightsize");
//! let outcome = reconcile(&client, &spec, std::time::SystemTime::now()).await?;
//! println!("{outcome}");
//! # Ok(()) }
//! ```
//!
//! Layers: `spec` (what to certify, defaults), `material` (generate and parse certificates),
//! `state` (the Secret's layout, read into a state), `plan` (the state machine: which step,
//! and its result), `reconcile` (the Kubernetes reads and writes), `cli` (the binary's flags).

pub mod cli;
mod error;
pub mod material;
pub mod plan;
mod reconcile;
mod spec;
pub mod state;

pub use error::CertError;
pub use plan::{Plan, execute, plan};
pub use reconcile::{Outcome, reconcile};
pub use spec::{
    BACKDATE, CertSpec, DEFAULT_CA_VALIDITY, DEFAULT_RENEW_BEFORE, DEFAULT_SERVING_VALIDITY,
    DEFAULT_SETTLE, days,
};
pub use state::{CertState, Contents, read_state};
