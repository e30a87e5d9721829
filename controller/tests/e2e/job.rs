//! A Job pod (`restartPolicy: Never`) killed by OOM: not restarted, so not resized, but the kill
//! is recorded in the workload's profile and flushed, so that the Job's next pod is admitted
//! larger (checked with the policy's own `admit` on the stored profile).

use rightsize_history::{HistoryConfig, HistoryMetrics, HistoryWriter};
use rightsize_policy::rightsize::{RightsizeParams, RightsizePolicy};
use rightsize_policy::workload::WorkloadRef;
use rightsize_policy::{Admission, Allocation, SizingPolicy};
use rightsize_sim_cluster::SimConfig;
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_pod_killed_by_oom_is_recorded_so_the_next_pod_is_admitted_larger() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    // No metrics reachable: only the watch event can record the kill.
    let ctl = Controller::start(&sim, &NO_METRICS).await;
    let mut p = pod(
        "nightly-x1",
        "128Mi",
        "128Mi",
        "ramp:start=100Mi,end=300Mi,over=2s",
        json!({}),
    );
    p.spec.as_mut().unwrap().restart_policy = Some("Never".into());
    owned_by_job(&mut p, "nightly", "job-uid-1");
    let pods = create(&client, &p).await;
    let failed = failed(&pods, "nightly-x1", "the Job pod fails by OOM").await;
    let st = &failed
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    assert_eq!(st.restart_count, 0, "restartPolicy Never: not restarted");
    assert_eq!(
        st.state
            .as_ref()
            .unwrap()
            .terminated
            .as_ref()
            .unwrap()
            .reason
            .as_deref(),
        Some("OOMKilled")
    );
    // Recorded once (annotation) and flushed to the store at once.
    eventually("oom-handled annotation", || async {
        pods.get("nightly-x1")
            .await
            .ok()?
            .metadata
            .annotations?
            .get("rightsize.dev/oom-handled")
            .cloned()
    })
    .await;
    assert_eq!(
        spec_memory(&pods.get("nightly-x1").await.unwrap(), "app").1,
        Some(128.0 * MI),
        "a failed pod is not resized"
    );
    let workload = WorkloadRef::of_pod(&failed.metadata, None).unwrap();
    let profile = eventually("the kill in the history store", || async {
        let fresh = HistoryWriter::new(
            client.clone(),
            HistoryConfig::new(OWN_NS),
            HistoryMetrics::default(),
        );
        fresh.load().await.ok()?;
        let h = fresh.known(&workload.key()).await?;
        let p = h.container("app")?.clone();
        p.last_oom().map(|_| p)
    })
    .await;
    let mut policy = RightsizePolicy::with_profile(RightsizeParams::default(), profile);
    let declared = Allocation::equal(128.0 * MI);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    match policy.admit(1, declared, now) {
        Admission::Sized(d) => assert!(d.allocation.limit > 128.0 * MI, "{d:?}"),
        Admission::Declared => panic!("the next pod must be admitted larger"),
    }
    let m = ctl.metrics().await;
    assert!(
        metric(
            &m,
            "rightsize_controller_oom_kills_total{container_type=\"container\"}"
        ) >= 1.0
    );
    ctl.stop().await.unwrap();
}
