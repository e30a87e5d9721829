//! kube-state-metrics input (`KUBE_STATE_METRICS_URL`) against the sim's kube-state-metrics
//! endpoint: an OOM kill the pod watch misses (its watch is down, held back by API latency) is
//! read from `kube_pod_container_status_last_terminated_reason` and bumped, once: the watch
//! event of the same kill that follows is not bumped again.

use std::net::SocketAddr;
use std::time::Duration;

use rightsize_sim_cluster::SimConfig;
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oom_kill_the_watch_missed_is_bumped_once_from_kube_state_metrics() {
    let (sim, client) = start_sim(SimConfig {
        kube_state_metrics_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        ..SimConfig::default()
    })
    .await;
    let ksm = sim.kube_state_metrics_url().unwrap();
    // Usage samples fail (nothing listens there): memory can only grow through an OOM bump.
    let ctl = Controller::start(
        &sim,
        &[&NO_METRICS[..], &["--kube-state-metrics-url", &ksm]].concat(),
    )
    .await;
    // Crosses its 100Mi limit 11.7 s after it starts, and again 11.7 s after each restart.
    let pods = create(
        &client,
        &pod(
            "hog",
            "100Mi",
            "100Mi",
            "ramp:start=50Mi,end=110Mi,over=14s",
            json!({}),
        ),
    )
    .await;
    running(&pods, "hog").await;
    // The watch goes down before the kill and comes back after kube-state-metrics showed it.
    tokio::time::sleep(Duration::from_secs(7)).await;
    sim.faults().set_latency(Duration::from_secs(7));
    sim.faults().drop_watches();
    tokio::time::sleep(Duration::from_millis(7500)).await;
    sim.faults().clear();
    let grown = eventually("bumped after the missed kill", || async {
        let p = pods.get("hog").await.ok()?;
        (spec_memory(&p, "app").1? > 100.0 * MI).then_some(p)
    })
    .await;
    assert!(restarts(&grown, "app") >= 1);
    let m = ctl.metrics().await;
    assert_eq!(
        metric(
            &m,
            "rightsize_controller_kube_state_metrics_oom_kills_total"
        ),
        1.0,
        "{m}"
    );
    // Give the watch time to deliver the same kill: it must not be bumped again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let bumps = events(&client, "hog", "OOMKillBump").await;
    let first: Vec<&String> = bumps.iter().filter(|n| n.contains("(restart 1")).collect();
    assert_eq!(first.len(), 1, "{bumps:?}");
    assert!(
        first[0].contains("reported by kube-state-metrics"),
        "{bumps:?}"
    );
    ctl.stop().await.unwrap();
}
