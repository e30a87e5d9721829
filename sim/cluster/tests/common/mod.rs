//! Helpers shared by this crate's integration tests: start a cluster, read a refusal. Polling,
//! what a test needs and kubectl are `rightsize_sim_cluster::testing` (shared by every crate).

#![allow(dead_code)]

use rightsize_sim_cluster::{SimCluster, SimConfig};

pub async fn start() -> SimCluster {
    SimCluster::start(SimConfig::default())
        .await
        .expect("sim starts")
}

pub async fn start_with(config: SimConfig) -> SimCluster {
    SimCluster::start(config).await.expect("sim starts")
}

/// The `Status` of a failed kube call.
pub fn status_of<T: std::fmt::Debug>(r: Result<T, kube::Error>) -> Box<kube::core::Status> {
    match r {
        Err(kube::Error::Api(s)) => s,
        other => panic!("expected an API error Status, got {other:?}"),
    }
}
