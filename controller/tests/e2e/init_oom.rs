//! OOM kills of sidecars and init containers (`status.initContainerStatuses`), which the sim's
//! kubelet runs as the real one does (docs "Init Containers", "Sidecar Containers", KEP-753).
//! - A sidecar (`restartPolicy: Always` init container) is resizable in place (KEP-1287
//!   §Sidecars): its kill is bumped from the watch event, with an `OOMKillBump` Event, and the
//!   kubelet actuates the new limit.
//! - A plain init container cannot be resized (KEP-1287) and, under `restartPolicy: Never`, its
//!   kill fails the pod: the controller's documented behaviour (`watch::handle_kills`: a kill of
//!   a container that is not running or will not run again is recorded, not resized) is to
//!   record it in the workload's profile and flush it at once, so the next pod is admitted
//!   larger.

use k8s_openapi::api::core::v1::{Container, Pod};
use rightsize_history::{HistoryConfig, HistoryMetrics, HistoryWriter};
use rightsize_policy::workload::WorkloadRef;
use rightsize_sim_cluster::SimConfig;
use serde_json::json;

use crate::common::*;

fn init_container(name: &str, mem: &str, sidecar: bool) -> Container {
    let mut c = json!({"name": name, "image": format!("{name}:1"),
        "resources": {"requests": {"cpu": "50m", "memory": mem}, "limits": {"memory": mem}}});
    if sidecar {
        c["restartPolicy"] = json!("Always");
    }
    serde_json::from_value(c).unwrap()
}

fn init_status_limit(p: &Pod, name: &str) -> Option<String> {
    let s = p.status.as_ref()?.init_container_statuses.as_ref()?;
    let s = s.iter().find(|s| s.name == name)?;
    let limits = s.resources.as_ref()?.limits.as_ref()?;
    Some(limits.get("memory")?.0.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oom_killed_sidecar_is_bumped_from_the_watch_event_and_resized_in_place() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    let ctl = Controller::start(&sim, &NO_METRICS).await;
    let ann =
        json!({"sim.rightsize.dev/memory-profile.proxy": "ramp:start=50Mi,end=150Mi,over=2s"});
    let mut p = pod("meshed", "128Mi", "128Mi", "constant:32Mi", ann);
    p.spec.as_mut().unwrap().init_containers = Some(vec![init_container("proxy", "64Mi", true)]);
    let pods = create(&client, &p).await;
    let bumped = eventually("sidecar OOM bump", || async {
        let p = pods.get("meshed").await.ok()?;
        let (_, limit) = spec_memory(&p, "proxy");
        (limit? > 64.0 * MI).then_some(p)
    })
    .await;
    // peak = the limit that killed it (64Mi) x the OOM bump factor.
    let new_limit = spec_memory(&bumped, "proxy").1.unwrap();
    assert!(new_limit >= 96.0 * MI, "{new_limit}");
    assert_eq!(
        spec_memory(&bumped, "app").1,
        Some(128.0 * MI),
        "only the killed sidecar is bumped"
    );
    let notes = eventually("OOMKillBump event", || async {
        Some(events(&client, "meshed", "OOMKillBump").await).filter(|n| !n.is_empty())
    })
    .await;
    assert!(notes[0].contains("proxy"), "{}", notes[0]);
    // The kubelet actuates the sidecar's resize: its status resources follow the spec.
    eventually("sidecar resize actuated", || async {
        let p = pods.get("meshed").await.ok()?;
        let actual = bytes(&init_status_limit(&p, "proxy")?);
        (actual == spec_memory(&p, "proxy").1?).then_some(())
    })
    .await;
    let m = ctl.metrics().await;
    assert!(
        metric(
            &m,
            "rightsize_controller_oom_kills_total{container_type=\"init\"}"
        ) >= 1.0
    );
    ctl.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oom_killed_init_container_of_a_never_restarted_pod_is_recorded_in_history() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    let ctl = Controller::start(&sim, &NO_METRICS).await;
    let ann = json!({"sim.rightsize.dev/memory-profile.migrate": "ramp:start=50Mi,end=150Mi,over=2s",
        "sim.rightsize.dev/run-for.migrate": "1h"});
    let mut p = pod("migrate-x1", "128Mi", "128Mi", "constant:32Mi", ann);
    let spec = p.spec.as_mut().unwrap();
    spec.restart_policy = Some("Never".into());
    spec.init_containers = Some(vec![init_container("migrate", "64Mi", false)]);
    owned_by_job(&mut p, "migrate", "job-uid-2");
    let pods = create(&client, &p).await;
    let failed = failed(
        &pods,
        "migrate-x1",
        "the pod fails by its init container's OOM",
    )
    .await;
    let workload = WorkloadRef::of_pod(&failed.metadata, None).unwrap();
    eventually("the init container's kill in the history store", || async {
        let fresh = HistoryWriter::new(
            client.clone(),
            HistoryConfig::new(OWN_NS),
            HistoryMetrics::default(),
        );
        fresh.load().await.ok()?;
        let h = fresh.known(&workload.key()).await?;
        h.container("migrate")?.last_oom().map(|_| ())
    })
    .await;
    assert_eq!(
        spec_memory(&pods.get("migrate-x1").await.unwrap(), "migrate").1,
        Some(64.0 * MI),
        "a plain init container is never resized"
    );
    ctl.stop().await.unwrap();
}
