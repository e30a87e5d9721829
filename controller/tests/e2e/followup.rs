//! Follow-up of resizes from the pod's status: Deferred (lowered toward what fits after the
//! configured wait), Infeasible (set back to the actual values, not retried upward).

use k8s_openapi::api::core::v1::Pod;
use rightsize_sim_cluster::{KubeVersion, NodeConfig, SimConfig};
use serde_json::json;

use crate::common::*;

fn on_node(mut p: Pod, node: &str) -> Pod {
    p.spec.as_mut().unwrap().node_name = Some(node.into());
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infeasible_resize_is_set_back_to_the_actual_values_and_not_retried_upward() {
    let (sim, client) = start_sim(SimConfig {
        version: KubeVersion::V1_34,
        nodes: vec![
            NodeConfig::new("small", "4", "1Gi"),
            NodeConfig::new("big", "4", "8Gi"),
        ],
        ..SimConfig::default()
    })
    .await;
    // The policy wants ~1.4Gi for 400Mi of usage (fresh workload, low confidence): more than
    // the small node holds, less than the big one.
    let pods = create(
        &client,
        &on_node(
            pod("stuck", "512Mi", "512Mi", "constant:400Mi", json!({})),
            "small",
        ),
    )
    .await;
    running(&pods, "stuck").await;
    // A target well above what the node can hold (about 3x the usage).
    let ctl = Controller::start(&sim, &["--rightsize-margin", "3"]).await;
    let notes = eventually("ResizeInfeasible event", || async {
        Some(events(&client, "stuck", "ResizeInfeasible").await).filter(|n| !n.is_empty())
    })
    .await;
    assert!(notes[0].contains("infeasible"), "{notes:?}");
    eventually("spec back to the actual 512Mi", || async {
        let p = pods.get("stuck").await.ok()?;
        (spec_memory(&p, "app") == (Some(512.0 * MI), Some(512.0 * MI))).then_some(())
    })
    .await;
    let resized = events(&client, "stuck", "Resized").await.len();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let p = pods.get("stuck").await.unwrap();
    assert_eq!(
        spec_memory(&p, "app").1,
        Some(512.0 * MI),
        "not retried upward"
    );
    assert_eq!(events(&client, "stuck", "Resized").await.len(), resized);
    assert_eq!(qos(&p), "Burstable");
    let m = ctl.metrics().await;
    assert!(
        metric(
            &m,
            "rightsize_controller_resizes_total{outcome=\"infeasible\",direction=\"up\"}"
        ) >= 1.0,
        "{m}"
    );
    ctl.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_resize_is_not_resent_and_is_lowered_toward_what_fits_after_the_wait() {
    let (sim, client) = start_sim(SimConfig {
        version: KubeVersion::V1_34,
        nodes: vec![NodeConfig::new("tight", "4", "2Gi")],
        ..SimConfig::default()
    })
    .await;
    // A neighbour holds 1500Mi of the 2Gi; ours wants ~750Mi: only ~500Mi is free.
    create(
        &client,
        &pod(
            "neighbour",
            "1500Mi",
            "1500Mi",
            "constant:100Mi",
            json!({"rightsize.dev/mode": "off"}),
        ),
    )
    .await;
    let pods = create(
        &client,
        &pod("grow", "256Mi", "256Mi", "constant:200Mi", json!({})),
    )
    .await;
    running(&pods, "grow").await;
    // A target well above what the node can hold (about 3x the usage).
    let ctl = Controller::start(
        &sim,
        &["--resize-deferred-wait", "1", "--rightsize-margin", "3"],
    )
    .await;
    let notes = eventually("ResizeDeferred event", || async {
        Some(events(&client, "grow", "ResizeDeferred").await).filter(|n| !n.is_empty())
    })
    .await;
    assert!(notes[0].contains("deferred"), "{notes:?}");
    // Lowered halfway toward the actual size, which then fits and is actuated.
    let applied = eventually("a lowered resize actuated", || async {
        let p = pods.get("grow").await.ok()?;
        let (req, _) = spec_memory(&p, "app");
        let actual = p.status.as_ref()?.container_statuses.as_ref()?[0]
            .resources
            .as_ref()?
            .requests
            .as_ref()?
            .get("memory")
            .map(|q| bytes(&q.0))?;
        (req? > 256.0 * MI && req? <= 2048.0 * MI - 1500.0 * MI && actual == req?).then_some(req?)
    })
    .await;
    assert!(applied > 256.0 * MI);
    ctl.stop().await.unwrap();
}
