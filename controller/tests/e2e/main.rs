//! End-to-end tests of `rightsize-controller`: the controller's real `run` (and, where a process
//! must be killed, the real binary) against the simulated cluster over HTTP.

mod common;
mod faults;
mod followup;
mod init_oom;
mod job;
mod kube_state;
mod leader;
mod metrics_url;
mod refused;
mod resize;
mod resume;
mod seed;
