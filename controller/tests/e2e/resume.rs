//! A controller that starts (or restarts) resumes each workload from the profile in the history
//! store, not from zero: with two days of stored history a flat usage near the limit is grown
//! by a few percent, while the same usage of a workload with no history gets the young-history
//! band (issue 8: "after a restart the controller resumes from the store, not from zero").

use std::time::{SystemTime, UNIX_EPOCH};

use rightsize_history::{HistoryConfig, HistoryMetrics, HistoryWriter};
use rightsize_policy::profile::UsageProfile;
use rightsize_policy::workload::WorkloadRef;
use rightsize_sim_cluster::SimConfig;
use serde_json::json;

use crate::common::*;

/// Hours of history stored for the known workload: well past the policy's confidence hours.
const STORED_HOURS: i64 = 48;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_starting_controller_sizes_from_the_stored_profile_not_from_zero() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    let spec = |name: &str| pod(name, "100Mi", "100Mi", "constant:95Mi", json!({}));
    let known = spec("known");
    // What an earlier controller run left in the store: the same usage, hour by hour, for two
    // days. Written with the controller's own writer, as its ServiceAccount would.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let mut profile = UsageProfile::new();
    for h in 0..STORED_HOURS {
        let t = now - (h * 3600) as f64;
        profile.record(t, 95.0 * MI);
        profile.count_replica(t);
    }
    let workload = WorkloadRef::of_pod(&known.metadata, Some(NS)).expect("bare pod workload");
    let writer = HistoryWriter::new(
        controller_client(&sim).await,
        HistoryConfig::new(OWN_NS),
        HistoryMetrics::register(&mut prometheus_client::registry::Registry::default()),
    );
    writer.update(&workload, "app", &profile);
    writer.flush_now().await.expect("history stored");

    let pods = create(&client, &known).await;
    create(&client, &spec("fresh")).await;
    running(&pods, "known").await;
    running(&pods, "fresh").await;
    let ctl = Controller::start(&sim, &[]).await;
    // The workload without history grows into the young band (x2.2 the target at one hour).
    let fresh_limit = eventually("fresh pod grown", || async {
        let p = pods.get("fresh").await.ok()?;
        spec_memory(&p, "app").1.filter(|l| *l > 100.0 * MI)
    })
    .await;
    // Give the known one the same cycles, then compare.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let known_limit = spec_memory(&pods.get("known").await.unwrap(), "app")
        .1
        .unwrap();
    assert!(
        fresh_limit > 150.0 * MI,
        "no history: the young band, got {} MiB",
        fresh_limit / MI
    );
    assert!(
        known_limit < 110.0 * MI,
        "two days of the same usage in the store: a small step at most, got {} MiB (fresh {} MiB)",
        known_limit / MI,
        fresh_limit / MI
    );
    ctl.stop().await.unwrap();
}
