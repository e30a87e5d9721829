//! The scheduler counts a pod whose resize is `Infeasible` at its allocated resources, not its
//! desired spec (KEP-1287 §Scheduler and API Server Interaction), so a new pod that fits beside
//! the pod's actual allocation is scheduled instead of staying Pending.

use crate::common::start_with;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams, PostParams};
use rightsize_sim_cluster::testing::eventually;
use rightsize_sim_cluster::{NodeConfig, SimConfig};
use serde_json::json;

fn pod(name: &str, mem: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1",
            "resources": {"requests": {"cpu": "100m", "memory": mem}, "limits": {"memory": mem}}}]}
    }))
    .unwrap()
}

fn phase(p: &Pod) -> Option<&str> {
    p.status.as_ref()?.phase.as_deref()
}

#[tokio::test]
async fn an_infeasible_resize_does_not_keep_a_new_pod_pending() {
    let sim = start_with(SimConfig {
        nodes: vec![NodeConfig::new("node-a", "4", "8Gi")],
        ..SimConfig::default()
    })
    .await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    pods.create(&PostParams::default(), &pod("big", "2Gi"))
        .await
        .unwrap();
    eventually("big running", || async {
        let p = pods.get("big").await.ok()?;
        (phase(&p) == Some("Running")).then_some(())
    })
    .await;
    // 20Gi can never fit an 8Gi node: the kubelet marks the resize Infeasible.
    pods.patch_subresource(
        "resize",
        "big",
        &PatchParams::default(),
        &Patch::Strategic(
            json!({"spec": {"containers": [{"name": "app", "resources": {
            "requests": {"memory": "20Gi"}, "limits": {"memory": "20Gi"}}}]}}),
        ),
    )
    .await
    .unwrap();
    eventually("resize Infeasible", || async {
        let p = pods.get("big").await.ok()?;
        p.status?
            .conditions?
            .iter()
            .any(|c| c.type_ == "PodResizePending" && c.reason.as_deref() == Some("Infeasible"))
            .then_some(())
    })
    .await;
    // 2Gi allocated + 5Gi fits 8Gi; counted at the desired 20Gi it would not.
    pods.create(&PostParams::default(), &pod("next", "5Gi"))
        .await
        .unwrap();
    let next = eventually("next scheduled and running", || async {
        let p = pods.get("next").await.ok()?;
        (phase(&p) == Some("Running")).then_some(p)
    })
    .await;
    assert_eq!(next.spec.unwrap().node_name.as_deref(), Some("node-a"));
    // A pod that does not fit beside the allocation still waits.
    pods.create(&PostParams::default(), &pod("too-big", "2Gi"))
        .await
        .unwrap();
    eventually("too-big unschedulable", || async {
        let p = pods.get("too-big").await.ok()?;
        p.status?
            .conditions?
            .iter()
            .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("Unschedulable"))
            .then_some(())
    })
    .await;
}
