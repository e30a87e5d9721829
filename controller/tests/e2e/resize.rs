//! Resizes driven by usage and OOM kills, with the default `rightsize` policy.

use rightsize_sim_cluster::{KubeVersion, SimConfig};
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ramping_usage_is_resized_up_before_its_first_oom_kill() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    // The ramp gains 350Mi over 16 s, 5.5 % of the declared limit per 0.3 s metrics cycle, more
    // than the default trigger (a peak at 95 % of the limit) leaves, so the scenario triggers at
    // 80 %. Each growth in the first hour lands far into the young history's band (x1.8 the
    // target), so two steps pass the end of the ramp. The controller is up and synced before
    // the pod starts: its start-up on a loaded machine must not eat the 1.9 s between the
    // trigger and the limit.
    let ctl = Controller::start(&sim, &["--rightsize-grow-at", "0.8"]).await;
    eventually("controller ready", || async {
        http_get(ctl.admin, "/readyz")
            .await
            .starts_with("HTTP/1.1 200")
            .then_some(())
    })
    .await;
    let pods = create(
        &client,
        &pod(
            "ramp",
            "200Mi",
            "200Mi",
            "ramp:start=50Mi,end=400Mi,over=16s",
            json!({}),
        ),
    )
    .await;
    running(&pods, "ramp").await;
    // The ramp ends at 400Mi, twice the declared limit: it must be followed without a kill.
    let grown = eventually("limit above the end of the ramp", || async {
        let p = pods.get("ramp").await.ok()?;
        let (_, limit) = spec_memory(&p, "app");
        (limit? > 400.0 * MI).then_some(p)
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let p = pods.get("ramp").await.unwrap();
    let notes = events(&client, "ramp", "Resized").await;
    assert_eq!(
        restarts(&p, "app"),
        0,
        "no OOM kill on the way up: {notes:#?} {:?}",
        p.status
    );
    assert_eq!(qos(&grown), "Burstable", "QoS unchanged (cpu has no limit)");
    let (req, limit) = spec_memory(&p, "app");
    assert_eq!(req, limit, "the declared ratio (1) is kept");
    let notes = eventually("Resized event", || async {
        Some(events(&client, "ramp", "Resized").await).filter(|n| !n.is_empty())
    })
    .await;
    assert!(
        notes[0].contains("request 200Mi, limit 200Mi ->"),
        "{}",
        notes[0]
    );
    assert!(
        p.metadata
            .annotations
            .as_ref()
            .unwrap()
            .contains_key("rightsize.dev/last-resize")
    );
    let m = ctl.metrics().await;
    assert!(
        metric(
            &m,
            "rightsize_controller_resizes_total{outcome=\"applied\",direction=\"up\"}"
        ) >= 1.0,
        "{m}"
    );
    ctl.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oom_killed_pod_is_bumped_from_the_watch_event_and_flushed_to_history() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    // Metrics from a URL where nothing listens: no cycle ever sees a sample, so only the pod
    // watch event can explain a bump.
    let ctl = Controller::start(&sim, &NO_METRICS).await;
    let pods = create(
        &client,
        &pod(
            "oom",
            "128Mi",
            "128Mi",
            "ramp:start=100Mi,end=200Mi,over=2s",
            json!({}),
        ),
    )
    .await;
    let bumped = eventually("OOM bump", || async {
        let p = pods.get("oom").await.ok()?;
        let (_, limit) = spec_memory(&p, "app");
        (limit? > 128.0 * MI).then_some(p)
    })
    .await;
    assert_eq!(restarts(&bumped, "app"), 1, "bumped after the first kill");
    // peak = the limit that killed it (128Mi) x oom_bump 1.5 at least.
    assert!(spec_memory(&bumped, "app").1.unwrap() >= 192.0 * MI);
    let notes = eventually("OOMKillBump event", || async {
        Some(events(&client, "oom", "OOMKillBump").await).filter(|n| !n.is_empty())
    })
    .await;
    assert!(notes[0].contains("OOM kill"), "{}", notes[0]);
    let handled = eventually("oom-handled annotation", || async {
        let p = pods.get("oom").await.ok()?;
        p.metadata
            .annotations?
            .get("rightsize.dev/oom-handled")
            .cloned()
    })
    .await;
    assert!(handled.starts_with("app="), "{handled}");
    // Recorded and flushed at once: the history shard holds the workload with the OOM.
    let cms: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(client.clone(), OWN_NS);
    let stored = eventually("history shard", || async {
        let list = cms.list(&Default::default()).await.ok()?;
        list.items.into_iter().find(|c| {
            c.binary_data
                .as_ref()
                .is_some_and(|d| d.keys().any(|k| k.contains("oom")))
        })
    })
    .await;
    assert!(
        stored
            .metadata
            .name
            .unwrap()
            .starts_with("rightsize-history")
    );
    let m = ctl.metrics().await;
    assert!(
        metric(
            &m,
            "rightsize_controller_oom_kills_total{container_type=\"container\"}"
        ) >= 1.0,
        "{m}"
    );
    ctl.stop().await.unwrap();
}

/// A pod that needs far less than it declares, with the down interval (cooldown) at 3 s.
async fn shrink_scenario(version: KubeVersion) -> (k8s_openapi::api::core::v1::Pod, Vec<String>) {
    let (sim, client) = start_sim(SimConfig {
        version,
        ..SimConfig::default()
    })
    .await;
    let pods = create(
        &client,
        &pod("idle", "1Gi", "1Gi", "constant:100Mi", json!({})),
    )
    .await;
    let started = running(&pods, "idle").await;
    let ctl = Controller::start(&sim, &["--rightsize-down-interval-seconds", "3"]).await;
    let shrunk = eventually("request lowered", || async {
        let p = pods.get("idle").await.ok()?;
        let (req, _) = spec_memory(&p, "app");
        (req? < 1024.0 * MI).then_some(p)
    })
    .await;
    let at = last_resize(&pods, "idle").await;
    let start = started.status.unwrap().start_time.unwrap().0;
    assert!(
        at.as_millisecond() - start.as_millisecond() >= 3000,
        "no shrink before the cooldown: {at} vs {start}"
    );
    assert_eq!(restarts(&shrunk, "app"), 0);
    assert_eq!(qos(&shrunk), "Burstable");
    let notes = eventually("Resized event", || async {
        Some(events(&client, "idle", "Resized").await).filter(|n| !n.is_empty())
    })
    .await;
    ctl.stop().await.unwrap();
    (shrunk, notes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn falling_usage_on_1_34_lowers_request_and_limit_after_the_cooldown() {
    let (p, notes) = shrink_scenario(KubeVersion::V1_34).await;
    let (req, limit) = spec_memory(&p, "app");
    assert!(
        req.unwrap() > 100.0 * MI && req.unwrap() < 600.0 * MI,
        "{req:?}"
    );
    assert_eq!(req, limit, "1.34 lowers the limit with the request");
    assert!(notes[0].contains("usage fell"), "{notes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn falling_usage_on_1_33_lowers_only_the_request_never_the_limit() {
    let (p, notes) = shrink_scenario(KubeVersion::V1_33).await;
    let (req, limit) = spec_memory(&p, "app");
    assert!(req.unwrap() < 600.0 * MI, "{req:?}");
    assert_eq!(
        limit,
        Some(1024.0 * MI),
        "1.33 forbids memory-limit decreases"
    );
    assert!(notes[0].contains("limit 1Gi -> request"), "{notes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommend_only_annotates_and_records_without_resizing() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    let pods = create(
        &client,
        &pod("adv", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&pods, "adv").await;
    let ctl = Controller::start(&sim, &["--recommend-only", "true"]).await;
    let p = eventually("recommendation annotation", || async {
        let p = pods.get("adv").await.ok()?;
        p.metadata
            .annotations
            .as_ref()?
            .contains_key("rightsize.dev/recommendation")
            .then_some(p)
    })
    .await;
    assert_eq!(
        spec_memory(&p, "app"),
        (Some(100.0 * MI), Some(100.0 * MI)),
        "nothing resized"
    );
    let ann = &p.metadata.annotations.as_ref().unwrap()["rightsize.dev/recommendation"];
    assert!(ann.starts_with("app="), "{ann}");
    let notes = eventually("Recommendation event", || async {
        Some(events(&client, "adv", "Recommendation").await).filter(|n| !n.is_empty())
    })
    .await;
    assert!(notes[0].contains("RECOMMEND_ONLY"), "{notes:?}");
    assert!(events(&client, "adv", "Resized").await.is_empty());
    ctl.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_of_namespaces_not_opted_in_and_mode_off_are_left_alone() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    let off = create(
        &client,
        &pod(
            "off",
            "100Mi",
            "100Mi",
            "constant:95Mi",
            json!({"rightsize.dev/mode": "off"}),
        ),
    )
    .await;
    let mut other = pod("elsewhere", "100Mi", "100Mi", "constant:95Mi", json!({}));
    other.metadata.namespace = Some("default".into());
    let other_api: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "default");
    other_api.create(&Default::default(), &other).await.unwrap();
    let managed = create(
        &client,
        &pod("managed", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&off, "off").await;
    running(&managed, "managed").await;
    let ctl = Controller::start(&sim, &[]).await;
    eventually("the managed pod grows", || async {
        let p = managed.get("managed").await.ok()?;
        (spec_memory(&p, "app").1? > 100.0 * MI).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let p = off.get("off").await.unwrap();
    assert_eq!(spec_memory(&p, "app").1, Some(100.0 * MI), "mode off");
    let p = other_api.get("elsewhere").await.unwrap();
    assert_eq!(
        spec_memory(&p, "app").1,
        Some(100.0 * MI),
        "namespace not opted in"
    );
    ctl.stop().await.unwrap();
}
