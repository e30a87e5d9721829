//! A resize the API server refuses is recorded once with an Event and not re-sent in a loop: the
//! sim counts the `pods/resize` PATCHes it received. Two refusals, both 403 Forbidden from an
//! admission plugin on `pods/resize`: LimitRanger (above the namespace's LimitRange maximum) and
//! ResourceQuota (`exceeded quota`).

use std::time::Duration;

use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota};
use kube::Api;
use kube::api::PostParams;
use rightsize_sim_cluster::SimConfig;
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
