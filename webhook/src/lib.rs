//! `rightsize-webhook`: the mutating admission webhook (DESIGN §2).
//!
//! `admission` is the pure decision (AdmissionRequest in, AdmissionResponse out, no I/O); the
//! HTTP/TLS server, admin server, metrics and certificate reload wrap it.

pub mod admission;
