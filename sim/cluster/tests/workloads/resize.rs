//! In-place resize as the kubelet and API server handle it: applied, Deferred until room frees,
//! Infeasible, and the invalid resizes and resource updates the API server rejects.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use rightsize_sim_cluster::KubeVersion;
use rightsize_sim_cluster::testing::eventually;
use serde_json::json;

use crate::common::{start_with, status_of};
use crate::support::{
    actual_memory_limit, condition, config, memory_limit_applied, pod, resize_pending, running,
    running_guaranteed_pod,
};

#[tokio::test]
async fn resize_is_applied_deferred_until_room_frees_or_infeasible() {
    let sim = start_with(config(KubeVersion::V1_33)).await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let pp = PostParams::default();
    pods.create(&pp, &pod("small", "500m", "1Gi", "1Gi", json!({})))
        .await
        .unwrap();
    pods.create(&pp, &pod("big", "500m", "5Gi", "5Gi", json!({})))
        .await
        .unwrap();
    running(&pods, "small").await;
    running(&pods, "big").await;

    // Fits: applied, with the actual values reported in status.
    let grow = |mem: &str| {
        Patch::Strategic(
            json!({"spec": {"containers": [{"name": "app", "resources": {"requests": {"memory": mem}, "limits": {"memory": mem}}}]}}),
        )
    };
    let after = pods
        .patch_resize("small", &PatchParams::default(), &grow("2Gi"))
        .await
        .unwrap();
    assert_eq!(after.metadata.generation, Some(2));
    let done = memory_limit_applied(
        &pods,
        "resize of small applied",
        "small",
        "2Gi",
        "PodResizeInProgress",
    )
    .await;
    assert!(condition(&done, "PodResizePending").is_none());

    // 2Gi (small) + 7Gi > 8Gi: Deferred.
    pods.patch_resize("big", &PatchParams::default(), &grow("7Gi"))
        .await
        .unwrap();
    let deferred = resize_pending(&pods, "resize of big deferred", "big", "Deferred").await;
    assert!(deferred.message.unwrap().contains("memory"));
    // Room frees when small goes away: the deferred resize goes through.
    pods.delete("small", &DeleteParams::default())
        .await
        .unwrap();
    memory_limit_applied(
        &pods,
        "deferred resize applied once room frees",
        "big",
        "7Gi",
        "PodResizePending",
    )
    .await;

    // Beyond the node's allocatable: Infeasible.
    pods.patch_resize("big", &PatchParams::default(), &grow("16Gi"))
        .await
        .unwrap();
    let infeasible = resize_pending(&pods, "resize infeasible", "big", "Infeasible").await;
    assert!(
        infeasible
            .message
            .unwrap()
            .contains("Node didn't have enough capacity")
    );
}

#[tokio::test]
async fn invalid_resizes_and_resource_updates_are_rejected_like_the_api_server() {
    let (_sim, pods) = running_guaranteed_pod(KubeVersion::V1_33).await;
    let pp = PatchParams::default();

    let qos = Patch::Strategic(
        json!({"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "250m"}}}]}}),
    );
    let s = status_of(pods.patch_resize("g", &pp, &qos).await);
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert!(s.message.contains(r#"spec: Invalid value: "Guaranteed": Pod QOS Class may not change as a result of resizing"#), "{}", s.message);

    let shrink = Patch::Strategic(
        json!({"spec": {"containers": [{"name": "app", "resources": {"requests": {"memory": "512Mi"}, "limits": {"memory": "512Mi"}}}]}}),
    );
    let s = status_of(pods.patch_resize("g", &pp, &shrink).await);
    assert!(
        s.message
            .contains("memory limits cannot be decreased unless resizePolicy is RestartContainer"),
        "{}",
        s.message
    );

    let storage = Patch::Strategic(
        json!({"spec": {"containers": [{"name": "app", "resources": {"limits": {"ephemeral-storage": "1Gi"}}}]}}),
    );
    let s = status_of(pods.patch_resize("g", &pp, &storage).await);
    assert!(
        s.message
            .contains("only cpu and memory resources are mutable"),
        "{}",
        s.message
    );

    let above = Patch::Json::<()>(serde_json::from_value(json!([{"op": "replace", "path": "/spec/containers/0/resources/requests/cpu", "value": "1"}])).unwrap());
    let s = status_of(pods.patch_resize("g", &pp, &above).await);
    assert!(
        s.message
            .contains("must be less than or equal to cpu limit of 500m"),
        "{}",
        s.message
    );

    // Since 1.32 a plain pod patch may not change resources.
    let plain = Patch::Strategic(
        json!({"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "2Gi"}, "requests": {"memory": "2Gi"}}}]}}),
    );
    let s = status_of(pods.patch("g", &pp, &plain).await);
    assert_eq!(s.code, 422);
    assert!(
        s.message
            .contains("pod updates may not change fields other than"),
        "{}",
        s.message
    );

    // 1.34 allows the memory-limit decrease.
    let (_sim34, pods34) = running_guaranteed_pod(KubeVersion::V1_34).await;
    pods34.patch_resize("g", &pp, &shrink).await.unwrap();
    eventually("1.34 applies the decrease", || async {
        (actual_memory_limit(&pods34.get("g").await.ok()?).as_deref() == Some("512Mi"))
            .then_some(())
    })
    .await;
}
