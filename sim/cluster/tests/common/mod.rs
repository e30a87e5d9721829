//! Helpers shared by this crate's integration tests: start a cluster, a one-container pod, read a
//! refusal. Polling, what a test needs and kubectl are `rightsize_sim_cluster::testing` (shared
//! by every crate).

#![allow(dead_code)]

use k8s_openapi::api::core::v1::Pod;
use rightsize_sim_cluster::{SimCluster, SimConfig};
use serde_json::{Value, json};

pub async fn start() -> SimCluster {
    SimCluster::start(SimConfig::default())
        .await
        .expect("sim starts")
}

pub async fn start_with(config: SimConfig) -> SimCluster {
    SimCluster::start(config).await.expect("sim starts")
}

/// A pod with one container `app` whose `resources` are given (requests/limits as JSON).
pub fn app_pod(name: &str, resources: Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1", "resources": resources}]}
    }))
    .unwrap()
}

/// The `Status` of a failed kube call.
pub fn status_of<T: std::fmt::Debug>(r: Result<T, kube::Error>) -> Box<kube::core::Status> {
    match r {
        Err(kube::Error::Api(s)) => s,
        other => panic!("expected an API error Status, got {other:?}"),
    }
}
