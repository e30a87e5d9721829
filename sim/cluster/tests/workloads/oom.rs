//! Usage above the memory limit: the container is OOM killed, restarted, and reported as such
//! (status, Events) and in PodMetrics.

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use rightsize_sim_cluster::KubeVersion;
use rightsize_sim_cluster::testing::{eventually, first_listed};
use serde_json::json;

use crate::common::start_with;
use crate::support::{config, pod, running};

#[tokio::test]
async fn usage_above_the_limit_is_oom_killed_and_reported_in_metrics() {
    let sim = start_with(config(KubeVersion::V1_33)).await;
    let client = sim.client().unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pp = PostParams::default();
    pods.create(
        &pp,
        &pod(
            "steady",
            "100m",
            "256Mi",
            "256Mi",
            json!({"sim.rightsize.dev/memory-profile": "constant:128Mi"}),
        ),
    )
    .await
    .unwrap();
    pods.create(
        &pp,
        &pod(
            "leaky",
            "100m",
            "64Mi",
            "64Mi",
            json!({"sim.rightsize.dev/memory-profile": "ramp:start=32Mi,end=96Mi,over=1s"}),
        ),
    )
    .await
    .unwrap();
    running(&pods, "steady").await;

    let killed = eventually("an OOM kill", || async {
        let p = pods.get("leaky").await.ok()?;
        let st = p.status?.container_statuses?.into_iter().next()?;
        (st.restart_count >= 1).then_some(st)
    })
    .await;
    let term = killed.last_state.unwrap().terminated.unwrap();
    assert_eq!(
        (term.reason.as_deref(), term.exit_code),
        (Some("OOMKilled"), 137)
    );
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let oom_killing = ListParams::default().fields("involvedObject.name=leaky,reason=OOMKilling");
    let ev = first_listed(&events, &oom_killing, "an OOMKilling event").await;
    assert_eq!(ev.type_.as_deref(), Some("Warning"));

    let gvk = GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "PodMetrics");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "pods");
    let metrics: Api<DynamicObject> = Api::namespaced_with(client, "default", &ar);
    let m = eventually("metrics for steady", || async {
        metrics.get("steady").await.ok()
    })
    .await;
    assert_eq!(m.data["containers"][0]["usage"]["memory"], "131072Ki");
    assert_eq!(m.data["window"], "15s");
    let all = metrics.list(&ListParams::default()).await.unwrap();
    assert!(all.items.len() >= 2);
}
