//! A resize the API server refuses is recorded once with an Event and not re-sent in a loop: the
//! sim counts the `pods/resize` PATCHes it received. Two refusals, both 403 Forbidden from an
//! admission plugin on `pods/resize`: LimitRanger (above the namespace's LimitRange maximum) and
//! ResourceQuota (`exceeded quota`). And a 422 from validation: a memory-limit decrease sent to a
//! 1.33 API server by a controller that read 1.34 from `/version` (a control plane mid-upgrade).

use std::time::Duration;

use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota};
use kube::Api;
use kube::api::PostParams;
use rightsize_sim_cluster::{KubeVersion, SimConfig};
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resize_above_the_limitrange_max_is_recorded_once_and_not_retried() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    let lr: LimitRange = serde_json::from_value(json!({
        "metadata": {"name": "cap", "namespace": NS},
        "spec": {"limits": [{"type": "Container", "max": {"memory": "110Mi"}}]}
    }))
    .unwrap();
    Api::<LimitRange>::namespaced(client.clone(), NS)
        .create(&PostParams::default(), &lr)
        .await
        .expect("LimitRange");
    refused_once_and_not_retried(&sim, &client, "capped").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resize_beyond_the_resourcequota_is_recorded_once_and_not_retried() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    // Room for the pod as declared (100Mi), not for its growth.
    let quota: ResourceQuota = serde_json::from_value(json!({
        "metadata": {"name": "team", "namespace": NS},
        "spec": {"hard": {"limits.memory": "110Mi", "requests.memory": "110Mi"}}
    }))
    .unwrap();
    Api::<ResourceQuota>::namespaced(client.clone(), NS)
        .create(&PostParams::default(), &quota)
        .await
        .expect("ResourceQuota");
    refused_once_and_not_retried(&sim, &client, "capped").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_decrease_refused_mid_upgrade_is_recorded_once_then_the_limit_is_kept() {
    // `/version` answers 1.34 (an upgraded kube-apiserver) while writes follow 1.33 validation.
    let (sim, client) = start_sim(SimConfig {
        version: KubeVersion::V1_33,
        reported_version: Some(KubeVersion::V1_34),
        ..SimConfig::default()
    })
    .await;
    let pods = create(
        &client,
        &pod("idle", "1Gi", "1Gi", "constant:100Mi", json!({})),
    )
    .await;
    running(&pods, "idle").await;
    let ctl = Controller::start(&sim, &["--rightsize-down-interval-seconds", "3"]).await;
    // The 1.34 plan (limit down with the request) is refused with 422 ...
    let notes = eventually("the 422 recorded", || async {
        let n = events(&client, "idle", "ResizeInfeasible").await;
        (!n.is_empty()).then_some(n)
    })
    .await;
    assert!(
        notes[0].contains("memory limits cannot be decreased"),
        "{notes:?}"
    );
    // ... and the next plan keeps the limit, as on 1.33, and goes through.
    let shrunk = eventually("request lowered, limit kept", || async {
        let p = pods.get("idle").await.ok()?;
        let (req, limit) = spec_memory(&p, "app");
        (req? < 600.0 * MI).then_some((req, limit))
    })
    .await;
    assert_eq!(shrunk.1, Some(1024.0 * MI), "{shrunk:?}");
    assert_eq!(events(&client, "idle", "ResizeInfeasible").await.len(), 1);
    let m = ctl.metrics().await;
    assert_eq!(
        metric(
            &m,
            "rightsize_controller_api_errors_total{kind=\"patch_resize_422\"}"
        ),
        1.0,
        "{m}"
    );
    ctl.stop().await.unwrap();
}

/// A pod at 100Mi using 95Mi (the controller wants it larger) whose resize the namespace's
/// policy refuses: one `ResizeInfeasible` Event, no PATCH sent again over ten more cycles, the
/// pod left as it was.
async fn refused_once_and_not_retried(
    sim: &rightsize_sim_cluster::SimCluster,
    client: &kube::Client,
    name: &str,
) {
    let pods = create(
        client,
        &pod(name, "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&pods, name).await;
    let ctl = Controller::start(sim, &[]).await;
    let notes = eventually("the refusal recorded", || async {
        let n = events(client, name, "ResizeInfeasible").await;
        (!n.is_empty()).then_some(n)
    })
    .await;
    assert!(notes[0].contains("refused by the API server"), "{notes:?}");
    let sent = sim.request_counts()["patch pods/resize"];
    // Ten more cycles: the same decision is not sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sim.request_counts()["patch pods/resize"], sent);
    assert_eq!(events(client, name, "ResizeInfeasible").await.len(), 1);
    assert_eq!(
        spec_memory(&pods.get(name).await.unwrap(), "app").1,
        Some(100.0 * MI)
    );
    ctl.stop().await.unwrap();
}
