//! `rightsize-controller`: resizes running pods in place from their observed memory usage
//! (DESIGN §2), grows them before they are OOM-killed, bumps them at once after an OOM kill,
//! shrinks them when they stop needing memory, and records what it learns in the history store.
//!
//! - [`config`]: flags and environment ([`config::Args`]) and the validated [`config::Settings`].
//! - [`run`]: the wiring ([`run::run`]): caches, metrics source, history, admin server, Lease.
//! - [`watch`]: reflectors and OOM kills on the watch events; [`oom`]: where kills are shown.
//! - [`cycle`]: the periodic metrics cycle; [`samples`]: the one metrics list per cycle;
//!   [`kube_state_metrics`]: missed OOM kills and a spec cross-check from kube-state-metrics.
//! - [`sizers`]: one policy per workload container; [`plan`]: decision → bounded resize;
//!   [`actuate`]: `PATCH pods/{name}/resize`, annotations, Events; [`followup`]: pending resizes.
//! - [`leader`]: Lease election; [`admin`]: `/healthz`, `/readyz`, `/metrics`; [`metrics`],
//!   [`events`], [`error`], [`context`], [`pods`].

pub mod actuate;
pub mod admin;
pub mod config;
pub mod context;
pub mod cycle;
pub mod error;
pub mod events;
pub mod followup;
pub mod kube_state_metrics;
pub mod leader;
pub mod metrics;
pub mod oom;
pub mod plan;
pub mod pods;
pub mod run;
pub mod samples;
pub mod sizers;
pub mod watch;

pub use config::{Args, Settings};
pub use error::Error;
pub use run::run;
