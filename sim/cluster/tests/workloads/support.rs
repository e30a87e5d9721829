//! What the workload scenarios share: a one-node cluster, a Guaranteed-or-Burstable pod, and
//! waits for a pod to run, for a resize to be applied or to be pending.

use k8s_openapi::api::core::v1::{Pod, PodCondition};
use kube::api::{Api, PostParams};
use rightsize_sim_cluster::testing::eventually;
use rightsize_sim_cluster::{KubeVersion, NodeConfig, SimCluster, SimConfig};
use serde_json::{Value, json};

use crate::common::start_with;

pub fn pod(name: &str, cpu: &str, mem_req: &str, mem_lim: &str, annotations: Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1",
            "resources": {"requests": {"cpu": cpu, "memory": mem_req}, "limits": {"cpu": cpu, "memory": mem_lim}}}]}
    }))
    .unwrap()
}

pub fn config(version: KubeVersion) -> SimConfig {
    SimConfig {
        version,
        nodes: vec![NodeConfig::new("node-a", "4", "8Gi")],
        ..SimConfig::default()
    }
}

pub async fn running(pods: &Api<Pod>, name: &str) -> Pod {
    eventually(&format!("pod {name} running"), || async {
        pods.get(name)
            .await
            .ok()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
    })
    .await
}

pub fn condition<'a>(p: &'a Pod, t: &str) -> Option<&'a k8s_openapi::api::core::v1::PodCondition> {
    p.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == t)
}

pub fn actual_memory_limit(p: &Pod) -> Option<String> {
    let st = p.status.as_ref()?.container_statuses.as_ref()?.first()?;
    Some(
        st.resources
            .as_ref()?
            .limits
            .as_ref()?
            .get("memory")?
            .0
            .clone(),
    )
}

/// Waits until the memory limit of `name` reports `limit` with no `cleared` condition left.
pub async fn memory_limit_applied(
    pods: &Api<Pod>,
    what: &str,
    name: &str,
    limit: &str,
    cleared: &str,
) -> Pod {
    eventually(what, || async {
        let p = pods.get(name).await.ok()?;
        (actual_memory_limit(&p).as_deref() == Some(limit) && condition(&p, cleared).is_none())
            .then_some(p)
    })
    .await
}

/// Waits until the resize of `name` is pending for `reason` (`Deferred`, `Infeasible`).
pub async fn resize_pending(pods: &Api<Pod>, what: &str, name: &str, reason: &str) -> PodCondition {
    eventually(what, || async {
        let p = pods.get(name).await.ok()?;
        condition(&p, "PodResizePending")
            .cloned()
            .filter(|c| c.reason.as_deref() == Some(reason))
    })
    .await
}

/// A cluster of `version` running the Guaranteed pod `g` (500m, 1Gi).
pub async fn running_guaranteed_pod(version: KubeVersion) -> (SimCluster, Api<Pod>) {
    let sim = start_with(config(version)).await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    pods.create(
        &PostParams::default(),
        &pod("g", "500m", "1Gi", "1Gi", json!({})),
    )
    .await
    .unwrap();
    running(&pods, "g").await;
    (sim, pods)
}
