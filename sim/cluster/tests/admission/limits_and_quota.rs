//! LimitRange and ResourceQuota through kube-rs, as the real API server's LimitRanger and
//! ResourceQuota admission plugins answer: defaults on create, min/max/ratio refusals, quota
//! usage kept by the quota controller, `exceeded quota` on create and on `pods/resize`, and
//! `must specify` for a container without the constrained resource.

use crate::common::{app_pod, start_with, status_of};
use k8s_openapi::api::core::v1::{LimitRange, Pod, ResourceQuota};
use kube::api::{Api, Patch, PatchParams, PostParams};
use rightsize_sim_cluster::testing::eventually;
use rightsize_sim_cluster::{NodeConfig, SimConfig};
use serde_json::{Value, json};

fn config() -> SimConfig {
    SimConfig {
        nodes: vec![NodeConfig::new("node-a", "8", "16Gi")],
        ..SimConfig::default()
    }
}

fn mem(limit: &str) -> Value {
    // Burstable (cpu request without a limit), so a memory resize keeps the QoS class.
    json!({"requests": {"memory": limit, "cpu": "100m"}, "limits": {"memory": limit}})
}

#[tokio::test]
async fn limit_range_defaults_a_bare_container_and_refuses_one_above_max() {
    let sim = start_with(config()).await;
    let client = sim.client().unwrap();
    let ranges: Api<LimitRange> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let lr: LimitRange = serde_json::from_value(json!({
        "metadata": {"name": "mem"},
        "spec": {"limits": [{"type": "Container", "max": {"memory": "1Gi"}, "default": {"memory": "512Mi"},
            "defaultRequest": {"memory": "256Mi"}}]}
    }))
    .unwrap();
    let stored = ranges.create(&PostParams::default(), &lr).await.unwrap();
    assert!(stored.spec.is_some());

    let bare = pods
        .create(&PostParams::default(), &app_pod("bare", json!({})))
        .await
        .unwrap();
    let r = bare.spec.unwrap().containers[0].resources.clone().unwrap();
    assert_eq!(r.limits.unwrap()["memory"].0, "512Mi");
    assert_eq!(r.requests.unwrap()["memory"].0, "256Mi");
    assert_eq!(
        bare.metadata.annotations.unwrap()["kubernetes.io/limit-ranger"],
        "LimitRanger plugin set: memory request for container app; memory limit for container app"
    );
    assert_eq!(
        bare.status.unwrap().qos_class.as_deref(),
        Some("Burstable"),
        "QoS follows the defaulted resources"
    );

    let st = status_of(
        pods.create(&PostParams::default(), &app_pod("big", mem("2Gi")))
            .await,
    );
    assert_eq!(st.code, 403);
    assert_eq!(st.reason, "Forbidden");
    assert_eq!(
        st.message,
        r#"pods "big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi"#
    );
    assert!(pods.get_opt("big").await.unwrap().is_none());

    // A resize past the max is refused the same way (KEP-1287: LimitRanger evaluates resizes).
    let st = status_of(
        pods.patch_subresource(
            "resize",
            "bare",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "3Gi"}}}]}})),
        )
        .await,
    );
    assert_eq!(
        st.message,
        r#"pods "bare" is forbidden: maximum memory usage per Container is 1Gi, but limit is 3Gi"#
    );
}

#[tokio::test]
async fn resource_quota_counts_pods_and_refuses_creates_and_resizes_beyond_hard() {
    let sim = start_with(config()).await;
    let client = sim.client().unwrap();
    let quotas: Api<ResourceQuota> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    pods.create(&PostParams::default(), &app_pod("before", mem("1Gi")))
        .await
        .unwrap();
    let q: ResourceQuota = serde_json::from_value(json!({
        "metadata": {"name": "team"},
        "spec": {"hard": {"limits.memory": "2Gi", "requests.memory": "2Gi", "pods": "5"}}
    }))
    .unwrap();
    quotas.create(&PostParams::default(), &q).await.unwrap();
    let used = |q: &ResourceQuota, k: &str| {
        q.status
            .as_ref()?
            .used
            .as_ref()?
            .get(k)
            .map(|v| v.0.clone())
    };
    eventually("quota controller fills status.used", || async {
        let q = quotas.get("team").await.ok()?;
        (used(&q, "limits.memory").as_deref() == Some("1Gi")
            && used(&q, "pods").as_deref() == Some("1"))
        .then_some(())
    })
    .await;

    let st = status_of(
        pods.create(&PostParams::default(), &app_pod("big", mem("2Gi")))
            .await,
    );
    assert_eq!(st.code, 403);
    assert_eq!(
        st.message,
        r#"pods "big" is forbidden: exceeded quota: team, requested: limits.memory=2Gi,requests.memory=2Gi, used: limits.memory=1Gi,requests.memory=1Gi, limited: limits.memory=2Gi,requests.memory=2Gi"#
    );

    let st = status_of(
        pods.create(&PostParams::default(), &app_pod("bare", json!({})))
            .await,
    );
    assert_eq!(
        st.message,
        r#"pods "bare" is forbidden: failed quota: team: must specify limits.memory for: app; requests.memory for: app"#
    );

    pods.create(&PostParams::default(), &app_pod("fits", mem("1Gi")))
        .await
        .unwrap();
    let q = quotas.get("team").await.unwrap();
    assert_eq!(
        used(&q, "limits.memory").as_deref(),
        Some("2Gi"),
        "admission records usage at once"
    );

    let st = status_of(
        pods.patch_subresource(
            "resize",
            "fits",
            &PatchParams::default(),
            &Patch::Strategic(
                json!({"spec": {"containers": [{"name": "app", "resources": {
                "requests": {"memory": "1536Mi"}, "limits": {"memory": "1536Mi"}}}]}}),
            ),
        )
        .await,
    );
    assert_eq!(
        st.message,
        r#"pods "fits" is forbidden: exceeded quota: team, requested: limits.memory=512Mi,requests.memory=512Mi, used: limits.memory=2Gi,requests.memory=2Gi, limited: limits.memory=2Gi,requests.memory=2Gi"#
    );
    // A shrink frees quota.
    pods.patch_subresource(
        "resize",
        "fits",
        &PatchParams::default(),
        &Patch::Strategic(
            json!({"spec": {"containers": [{"name": "app", "resources": {
            "requests": {"memory": "512Mi"}}}]}}),
        ),
    )
    .await
    .unwrap();
    eventually(
        "used requests.memory drops after the shrink is actuated",
        || async {
            let q = quotas.get("team").await.ok()?;
            (used(&q, "requests.memory").as_deref() == Some("1536Mi")).then_some(())
        },
    )
    .await;
}
