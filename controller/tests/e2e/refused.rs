//! A resize the API server refuses (here LimitRanger on `pods/resize`: above the namespace's
//! LimitRange maximum) is recorded once with an Event and not re-sent in a loop: the sim counts
//! the `pods/resize` PATCHes it received.

use std::time::Duration;

use k8s_openapi::api::core::v1::LimitRange;
use kube::Api;
use kube::api::PostParams;
use rightsize_sim_cluster::SimConfig;
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_resize_is_recorded_once_and_not_retried_in_a_loop() {
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
    let pods = create(
        &client,
        &pod("capped", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&pods, "capped").await;
    let ctl = Controller::start(&sim, &[]).await;
    let notes = eventually("the refusal recorded", || async {
        let n = events(&client, "capped", "ResizeInfeasible").await;
        (!n.is_empty()).then_some(n)
    })
    .await;
    assert!(notes[0].contains("refused by the API server"), "{notes:?}");
    let sent = sim.request_counts()["patch pods/resize"];
    // Ten more cycles: the same decision is not sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sim.request_counts()["patch pods/resize"], sent);
    assert_eq!(events(&client, "capped", "ResizeInfeasible").await.len(), 1);
    assert_eq!(
        spec_memory(&pods.get("capped").await.unwrap(), "app").1,
        Some(100.0 * MI)
    );
    ctl.stop().await.unwrap();
}
