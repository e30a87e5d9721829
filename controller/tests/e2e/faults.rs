//! Injected faults (500s, 409s, slow responses, dropped watches, 410 on resume): the controller
//! keeps working, loses no history and never panics.

use std::time::Duration;

use rightsize_sim_cluster::SimConfig;
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_keeps_resizing_and_recording_through_api_faults() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    let pods = create(
        &client,
        &pod("busy", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&pods, "busy").await;
    let ctl = Controller::start(&sim, &[]).await;
    sim.faults().set_error_rate(0.3);
    sim.faults().set_conflict_rate(0.3);
    sim.faults().set_latency(Duration::from_millis(30));
    for _ in 0..3 {
        sim.faults().drop_watches();
        sim.expire_watch_history();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let grown = eventually("resized despite faults", || async {
        let p = pods.get("busy").await.ok()?;
        (spec_memory(&p, "app").1? > 100.0 * MI).then_some(p)
    })
    .await;
    assert_eq!(restarts(&grown, "app"), 0);
    sim.faults().clear();
    // A pod created after the faults is still seen (the watches recovered).
    let later = create(
        &client,
        &pod("later", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    eventually("the watch recovered", || async {
        let p = later.get("later").await.ok()?;
        (spec_memory(&p, "app").1? > 100.0 * MI).then_some(())
    })
    .await;
    let m = ctl.metrics().await;
    assert!(
        m.contains("rightsize_controller_api_errors_total"),
        "faults were counted: {m}"
    );
    // Graceful stop flushes the history: both workloads are stored.
    ctl.stop().await.expect("no error, no panic");
    let cms: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(client.clone(), OWN_NS);
    let keys: Vec<String> = cms
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .flat_map(|c| c.binary_data.unwrap_or_default().into_keys())
        .collect();
    for w in ["busy", "later"] {
        assert!(keys.iter().any(|k| k.contains(w)), "{w} in {keys:?}");
    }
}
