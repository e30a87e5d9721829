//! `--policy seed`: each of ORIGINAL.md's rules ("How It Works") shown by a scenario with its
//! expected quantities, through the real controller and the simulated kubelet.

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use rightsize_sim_cluster::{KubeVersion, SimConfig};
use serde_json::json;

use crate::common::*;

async fn seed_cluster() -> (rightsize_sim_cluster::SimCluster, kube::Client) {
    start_sim(SimConfig {
        version: KubeVersion::V1_34,
        ..SimConfig::default()
    })
    .await
}

async fn memory_becomes(pods: &Api<Pod>, name: &str, want: f64) -> Pod {
    eventually(&format!("{name} memory {want}"), || async {
        let p = pods.get(name).await.ok()?;
        (spec_memory(&p, "app") == (Some(want), Some(want))).then_some(p)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_scale_up_at_80_percent_takes_the_larger_of_usage_x_1_4_and_request_x_1_2() {
    let (sim, client) = seed_cluster().await;
    // usage 800Mi = 0.8 x 1000Mi: new = max(800 x 1.4 = 1120, 1000 x 1.2 = 1200) = 1200Mi.
    let pods = create(
        &client,
        &pod("up", "1000Mi", "1000Mi", "constant:800Mi", json!({})),
    )
    .await;
    // usage 900Mi: new = max(900 x 1.4 = 1260, 1200) = 1260Mi.
    create(
        &client,
        &pod("up2", "1000Mi", "1000Mi", "constant:900Mi", json!({})),
    )
    .await;
    running(&pods, "up").await;
    let ctl = Controller::start(&sim, &["--policy", "seed"]).await;
    memory_becomes(&pods, "up", 1200.0 * MI).await;
    memory_becomes(&pods, "up2", 1260.0 * MI).await;
    // 800/1200 < 0.8 and 900/1260 < 0.8: no further growth.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(
        spec_memory(&pods.get("up").await.unwrap(), "app").0,
        Some(1200.0 * MI)
    );
    assert_eq!(restarts(&pods.get("up").await.unwrap(), "app"), 0);
    ctl.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_scale_down_after_the_cooldown_to_usage_x_2_5_with_the_minimum_and_min_diff() {
    let (sim, client) = seed_cluster().await;
    // usage 100Mi <= 0.3 x 1000Mi: new = max(100 x 2.5, 100) = 250Mi, a 75 % cut.
    let pods = create(
        &client,
        &pod("down", "1000Mi", "1000Mi", "constant:100Mi", json!({})),
    )
    .await;
    // usage 10Mi: 2.5 x 10 = 25Mi, raised to MIN_REQUEST_MEMORY 100Mi.
    create(
        &client,
        &pod("floor", "1000Mi", "1000Mi", "constant:10Mi", json!({})),
    )
    .await;
    // request 120Mi, usage 10Mi: new = 100Mi, a 16.7 % cut < SCALE_DOWN_MIN_DIFF 20 %: kept.
    create(
        &client,
        &pod("small", "120Mi", "120Mi", "constant:10Mi", json!({})),
    )
    .await;
    let started = running(&pods, "down").await;
    let ctl = Controller::start(
        &sim,
        &["--policy", "seed", "--cooldown-period-seconds", "3"],
    )
    .await;
    let shrunk = memory_becomes(&pods, "down", 250.0 * MI).await;
    memory_becomes(&pods, "floor", 100.0 * MI).await;
    let at = last_resize(&pods, "down").await;
    let start = started.status.unwrap().start_time.unwrap().0;
    assert!(
        at.as_millisecond() - start.as_millisecond() >= 3000,
        "cooldown since the pod start"
    );
    assert_eq!(restarts(&shrunk, "app"), 0);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let small = pods.get("small").await.unwrap();
    assert_eq!(
        spec_memory(&small, "app"),
        (Some(120.0 * MI), Some(120.0 * MI))
    );
    ctl.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_cooldown_runs_from_the_last_resize_recorded_in_the_annotation() {
    let (sim, client) = seed_cluster().await;
    // The pod was last resized at T (by an earlier controller, recorded in the annotation; T is
    // 4 s ahead so that the test does not race the clock): with a 2 s cooldown no shrink
    // before T + 2 s, although the pod itself started long enough ago.
    let now = k8s_openapi::jiff::Timestamp::now();
    let recent = pod(
        "recent",
        "1000Mi",
        "1000Mi",
        "constant:100Mi",
        json!({"rightsize.dev/last-resize": (now + std::time::Duration::from_secs(4)).to_string()}),
    );
    let pods = create(&client, &recent).await;
    running(&pods, "recent").await;
    let ctl = Controller::start(
        &sim,
        &["--policy", "seed", "--cooldown-period-seconds", "2"],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        spec_memory(&pods.get("recent").await.unwrap(), "app").0,
        Some(1000.0 * MI),
        "still cooling down"
    );
    memory_becomes(&pods, "recent", 250.0 * MI).await;
    ctl.stop().await.unwrap();
}
