//! `rightsize-sim-cluster`: an embedded simulated Kubernetes cluster (DESIGN §6) that real
//! clients (kube-rs, kubectl) talk to over HTTP.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rightsize_sim_cluster::Error> {
//! use rightsize_sim_cluster::{SimCluster, SimConfig};
//! let sim = SimCluster::start(SimConfig::default()).await?; // 127.0.0.1, ephemeral port
//! let client = sim.client()?;                                 // kube::Client
//! sim.write_kubeconfig(std::path::Path::new("/tmp/sim.kubeconfig"))?; // for kubectl
//! sim.faults().set_error_rate(0.1);                           // fault injection
//! # Ok(()) }
//! ```
//!
//! Layers: `state` (the shared state every component gets; a leaf module), `store` (objects,
//! versions, watch history), `api` (HTTP, discovery, watch), `registry` (what a request does:
//! `read`, `write`, `delete`, with kind rules in `pods` and `validate`), `admission` (mutating
//! webhooks over HTTPS), `controllers` (Deployment → ReplicaSet → Pods), `kubelet` (scheduling,
//! pod status, resizes, memory usage, OOM kills; owns its runtime state), `metrics_server`
//! (PodMetrics and NodeMetrics from the usage the kubelet publishes), optionally also served at a
//! URL of its own over HTTPS (`metrics_server_tls`), and `kube_state_metrics` (a
//! kube-state-metrics-compatible text endpoint). `api`, `controllers` and
//! `kubelet` never import one another; `cluster` (`SimCluster::start`) is the one place that
//! wires them.
//!
//! Wire formats: JSON both ways; request bodies may also be Kubernetes protobuf for the kinds
//! kubectl's typed create commands send (`api::protobuf`). Responses are always JSON (a client
//! that accepts only protobuf gets 406). `/openapi/v3` carries just enough for kubectl to skip
//! client-side validation (`api::openapi`); fields are not checked against schemas.

mod admission;
mod api;
mod auth;
pub mod cli;
mod cluster;
pub mod config;
mod controllers;
mod cron;
pub mod duration;
pub mod error;
pub mod faults;
mod kube_state_metrics;
mod kubelet;
pub mod manifests;
mod metrics_server;
mod metrics_server_tls;
mod patch;
mod quantity;
mod recorder;
mod registry;
mod resources;
mod selector;
mod state;
mod store;
#[cfg(feature = "test-support")]
pub mod testing;
mod tls;
mod util;

pub use cluster::{SERVICE_ACCOUNT_TOKEN_LIFETIME, SimCluster};
pub use config::{KubeVersion, NodeConfig, SimConfig};
pub use error::Error;
pub use faults::Faults;
pub use kubelet::RUN_FOR_ANNOTATION;
pub use kubelet::usage::{CPU_USAGE_ANNOTATION, MEMORY_PROFILE_ANNOTATION};
