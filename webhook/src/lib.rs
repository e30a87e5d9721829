//! `rightsize-webhook`: the mutating admission webhook (DESIGN §2).
//!
//! `admission` is the pure decision (AdmissionRequest in, AdmissionResponse out, no I/O); the
//! rest wraps it: [`review`] (the HTTP edge: limits, malformed input, panics), [`server`]
//! (axum + rustls on `--listen`), [`tls`] (certificates re-read when the mounted Secret
//! changes), [`admin`] (`/healthz`, `/readyz`, `/metrics`), [`metrics`], [`caches`] (watched
//! LimitRanges and Nodes), [`app`] (the per-review snapshot), [`cli`] and [`run`] (wiring).

pub mod admin;
pub mod admission;
pub mod app;
pub mod caches;
pub mod cli;
pub mod metrics;
pub mod probe;
pub mod review;
pub mod run;
pub mod server;
pub mod tls;
