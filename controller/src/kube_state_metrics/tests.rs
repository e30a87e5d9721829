use super::*;
use serde_json::json;

const TEXT: &str = r#"# HELP kube_pod_container_resource_requests [STABLE] The number of requested request resource by a container.
# TYPE kube_pod_container_resource_requests gauge
kube_pod_container_resource_requests{namespace="shop",pod="web-1",uid="u1",container="app",node="n1",resource="cpu",unit="core"} 0.25
kube_pod_container_resource_requests{namespace="shop",pod="web-1",uid="u1",container="app",node="n1",resource="memory",unit="byte"} 6.7108864e+07
# HELP kube_pod_container_resource_limits [STABLE] The number of requested limit resource by a container.
# TYPE kube_pod_container_resource_limits gauge
kube_pod_container_resource_limits{namespace="shop",pod="web-1",uid="u1",container="app",node="n1",resource="memory",unit="byte"} 134217728
# HELP kube_pod_container_status_last_terminated_reason [EXPERIMENTAL] Describes the last reason the container was in terminated state.
# TYPE kube_pod_container_status_last_terminated_reason gauge
kube_pod_container_status_last_terminated_reason{namespace="shop",pod="web-1",uid="u1",container="app",reason="OOMKilled"} 1
kube_pod_container_status_last_terminated_reason{namespace="shop",pod="web-2",uid="u2",container="app",reason="Error"} 1
kube_pod_container_status_last_terminated_reason{namespace="shop",pod="web-3",uid="u3",container="app",reason="OOMKilled"} 0
"#;

fn app() -> ContainerRef {
    ContainerRef {
        pod: "shop/web-1".into(),
        container: "app".into(),
    }
}

#[test]
fn kube_state_metrics_text_gives_oom_kills_and_spec_memory() {
    let r = parse(TEXT, "http://ksm").unwrap();
    assert_eq!(r.oom_killed, vec![(app(), Some("u1".to_owned()))]);
    assert_eq!(
        r.memory[&app()],
        SpecMemory {
            request: Some(67_108_864.0),
            limit: Some(134_217_728.0)
        }
    );
    assert_eq!(r.memory.len(), 1, "cpu is not memory");
}

#[test]
fn a_page_that_is_not_kube_state_metrics_is_a_clear_error() {
    let e = parse("<html>404 page not found</html>", "http://ksm/metrics").unwrap_err();
    assert!(matches!(e, Error::ParseKubeStateMetrics { .. }));
    let msg = crate::error::chain(&e);
    assert!(
        msg.contains("http://ksm/metrics") && msg.contains("is this kube-state-metrics"),
        "{msg}"
    );
}

#[test]
fn an_empty_cluster_is_an_empty_report() {
    let text = "# HELP kube_pod_container_resource_requests x\n# TYPE kube_pod_container_resource_requests gauge\n";
    assert_eq!(parse(text, "u").unwrap(), Report::default());
}

#[test]
fn a_url_without_a_path_reads_metrics() {
    let http = reqwest::Client::new();
    assert_eq!(
        Endpoint::new(http.clone(), "http://ksm:8080").url,
        "http://ksm:8080/metrics"
    );
    assert_eq!(
        Endpoint::new(http, "http://ksm:8080/x/metrics").url,
        "http://ksm:8080/x/metrics"
    );
}

fn pod(restarts: i32, last: serde_json::Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "web-1", "namespace": "shop", "uid": "u1"},
        "spec": {"containers": [{"name": "app", "image": "x",
            "resources": {"requests": {"memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]},
        "status": {"containerStatuses": [{"name": "app", "image": "x", "imageID": "", "ready": true,
            "restartCount": restarts, "state": {"running": {}}, "lastState": last}]}
    }))
    .unwrap()
}

#[test]
fn a_kill_the_watch_missed_gets_the_marker_the_watch_would_give_it() {
    let cached = pod(0, json!({}));
    let kill = missed_kill(&cached, "app").expect("missed");
    assert_eq!((kill.marker, kill.reported_by), (1, Some(REPORTER)));
    // The watch event that follows shows the same kill: not new once the marker is handled.
    let after = pod(
        1,
        json!({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}),
    );
    let seen = oom::kills(&after);
    let handled = [("app".to_owned(), kill.marker.to_string())].into();
    assert!(!oom::is_new(&seen[0], &handled, false, 0.0));
}

#[test]
fn a_kill_the_cached_status_shows_is_left_to_the_watch() {
    let cached = pod(
        1,
        json!({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}),
    );
    assert_eq!(missed_kill(&cached, "app"), None);
    assert_eq!(
        missed_kill(&pod(0, json!({})), "sidecar"),
        None,
        "no status, no kill"
    );
}

#[test]
fn spec_memory_matches_what_kube_state_metrics_reports() {
    let r = parse(TEXT, "u").unwrap();
    assert_eq!(
        spec_memory(&pod(0, json!({})), "app").as_ref(),
        r.memory.get(&app())
    );
}
