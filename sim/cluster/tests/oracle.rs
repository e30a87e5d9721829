//! The simulated API server is an independent oracle: it decides QoS classes and the stored form
//! of quantities with its own code (`src/quantity`, `src/registry/pod_resources.rs`), not with
//! `rightsize_policy`, which is the code the webhook and controller tests judge.

mod common;

use common::{app_pod, start_with, status_of};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams, PostParams};
use rightsize_sim_cluster::SimConfig;
use serde_json::{Value, json};

/// A bare API server (no kubelet): pods stay Pending, which resize validation allows.
fn bare() -> SimConfig {
    SimConfig {
        run_controllers: false,
        ..SimConfig::default()
    }
}

fn resize(resources: Value) -> Patch<Value> {
    Patch::Strategic(json!({"spec": {"containers": [{"name": "app", "resources": resources}]}}))
}

#[test]
fn the_simulated_cluster_does_not_depend_on_the_policy_crate() {
    let manifest = include_str!("../Cargo.toml");
    assert!(
        !manifest.contains("rightsize-policy"),
        "sim/cluster must keep its own QoS and quantity rules"
    );
}

#[tokio::test]
async fn resize_that_changes_qos_is_rejected_and_one_that_keeps_it_numerically_is_accepted() {
    let sim = start_with(bare()).await;
    let pods: Api<Pod> = Api::default_namespaced(sim.client().unwrap());
    let pp = PostParams::default();
    let guaranteed =
        json!({"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}});
    let burstable = json!({"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}});
    for (name, r) in [("g", &guaranteed), ("b", &burstable)] {
        let created = pods.create(&pp, &app_pod(name, r.clone())).await.unwrap();
        let class = created.status.and_then(|s| s.qos_class);
        let want = if name == "g" {
            "Guaranteed"
        } else {
            "Burstable"
        };
        assert_eq!(class.as_deref(), Some(want));
    }
    let rp = PatchParams::default();
    let cases = [
        // Guaranteed → Burstable: a request below its limit.
        ("g", "Guaranteed", json!({"requests": {"cpu": "250m"}})),
        // Burstable → Guaranteed: requests raised to the limits.
        (
            "b",
            "Burstable",
            json!({"requests": {"cpu": "1000m", "memory": "1024Mi"}}),
        ),
    ];
    for (name, class, change) in cases {
        let s = status_of(pods.patch_resize(name, &rp, &resize(change)).await);
        assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"), "{name}");
        let want = format!(
            r#"spec: Invalid value: "{class}": Pod QOS Class may not change as a result of resizing"#
        );
        assert!(s.message.contains(&want), "{name}: {}", s.message);
    }
    // Same class, other spellings (1000m = 1, 2048Mi = 2Gi): accepted and stored canonically.
    let grow = json!({"requests": {"cpu": "1000m", "memory": "2048Mi"}, "limits": {"cpu": "1", "memory": "2Gi"}});
    let resized = pods.patch_resize("g", &rp, &resize(grow)).await.unwrap();
    let stored = serde_json::to_value(&resized.spec.unwrap().containers[0].resources).unwrap();
    assert_eq!(
        stored,
        json!({"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}})
    );
}

#[tokio::test]
async fn quantities_are_stored_in_the_api_servers_form() {
    let sim = start_with(bare()).await;
    let pods: Api<Pod> = Api::default_namespaced(sim.client().unwrap());
    let written = json!({"requests": {"cpu": "0.5", "memory": "0.5Gi", "ephemeral-storage": "1000M"},
        "limits": {"cpu": "1500m", "memory": "1e9", "ephemeral-storage": "1.5Gi"}});
    let created = pods
        .create(&PostParams::default(), &app_pod("q", written))
        .await
        .unwrap();
    let stored = serde_json::to_value(&created.spec.unwrap().containers[0].resources).unwrap();
    assert_eq!(
        stored,
        json!({"requests": {"cpu": "500m", "memory": "512Mi", "ephemeral-storage": "1G"},
            "limits": {"cpu": "1500m", "memory": "1e9", "ephemeral-storage": "1536Mi"}})
    );
}
