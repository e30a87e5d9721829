//! `rightsize-policy`: the pure half of rightsize.
//!
//! Everything here is deterministic and free of I/O and clock reads: time is passed in as seconds
//! (`f64`, Unix epoch in production, trace time in the evaluator). The webhook, the controller and
//! the trace evaluator all call the same code, so what the evaluator scores is what runs.

pub mod annotations;
pub mod config;
pub mod controls;
pub mod hash;
pub mod policy;
pub mod profile;
pub mod quantity;
pub mod resources;
pub mod rightsize;
pub mod seed;
pub mod workload;

pub use policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};
