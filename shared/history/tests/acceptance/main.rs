//! Acceptance tests of the history store (issue 4) against the simulated API server over HTTP,
//! with kube-rs: concurrent writers under injected conflicts, the watch-backed view, restarts,
//! damaged and deleted shards, garbage collection, the periodic flush that writes only material
//! changes, and the 5,000-workload fill.

mod common;
mod fill;
mod periodic;
mod reader;
mod robustness;
mod writers;
