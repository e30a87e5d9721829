use super::*;

#[test]
fn human_duration_matches_apimachinery() {
    let cases = [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (10_799, "179m"),
        (10_800, "3h"),
        (11_000, "3h3m"),
        (30 * 3600, "30h"),
        (50 * 3600, "2d2h"),
        (9 * 86_400, "9d"),
        (800 * 86_400, "2y70d"),
        (9 * 365 * 86_400, "9y"),
    ];
    for (secs, want) in cases {
        assert_eq!(human_duration(secs), want, "{secs}s");
    }
}

fn pod_with(statuses: Value) -> Value {
    json!({"metadata": {"name": "p", "creationTimestamp": util::now_rfc3339()},
        "spec": {"containers": [{"name": "a"}], "nodeName": "n1"},
        "status": {"phase": "Running", "containerStatuses": statuses,
            "podIPs": [{"ip": "10.244.0.2"}]}})
}

#[test]
fn a_started_sidecar_counts_as_a_container_and_a_running_init_as_init_progress() {
    let mut p = pod_with(
        json!([{"name": "a", "ready": true, "restartCount": 0, "state": {"running": {}}}]),
    );
    p["spec"]["initContainers"] =
        json!([{"name": "m"}, {"name": "proxy", "restartPolicy": "Always"}]);
    p["status"]["conditions"] =
        json!([{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}]);
    p["status"]["initContainerStatuses"] = json!([
        {"name": "m", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        {"name": "proxy", "started": true, "ready": true, "state": {"running": {}}}]);
    assert_eq!(
        (&pod(&p)[1], &pod(&p)[2]),
        (&json!("2/2"), &json!("Running"))
    );
    p["status"]["phase"] = json!("Pending");
    p["status"]["conditions"] = json!([{"type": "Initialized", "status": "False"}]);
    p["status"]["initContainerStatuses"][0]["state"] = json!({"running": {}});
    p["status"]["initContainerStatuses"][1] =
        json!({"name": "proxy", "state": {"waiting": {"reason": "PodInitializing"}}});
    assert_eq!(pod(&p)[2], "Init:0/2");
}

#[test]
fn pod_status_shows_the_container_reason_as_kubectl_prints_it() {
    let crash = pod_with(json!([{"name": "a", "ready": false, "restartCount": 3,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137,
            "finishedAt": util::now_rfc3339()}}}]));
    let cells = pod(&crash);
    assert_eq!(cells[1], "0/1");
    assert_eq!(cells[2], "CrashLoopBackOff");
    assert!(
        cells[3].as_str().unwrap().starts_with("3 ("),
        "{}",
        cells[3]
    );
    assert!(
        cells[3].as_str().unwrap().ends_with("s ago)"),
        "{}",
        cells[3]
    );
    assert_eq!(cells[5], "10.244.0.2");
    assert_eq!(cells[6], "n1");
    assert_eq!(cells[7], "<none>");

    let oom = pod_with(json!([{"name": "a", "ready": false, "restartCount": 0,
        "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]));
    assert_eq!(pod(&oom)[2], "OOMKilled");
    let error = pod_with(json!([{"name": "a", "ready": false, "restartCount": 0,
        "state": {"terminated": {"exitCode": 2}}}]));
    assert_eq!(pod(&error)[2], "ExitCode:2");
    let done = pod_with(json!([{"name": "a", "ready": false, "restartCount": 0,
        "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]));
    assert_eq!(pod(&done)[2], "Completed");
    let running = pod_with(json!([{"name": "a", "ready": true, "restartCount": 0,
        "state": {"running": {}}}]));
    assert_eq!(pod(&running)[1], "1/1");
    assert_eq!(pod(&running)[2], "Running");
    assert_eq!(pod(&running)[3], "0");
    let pending = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]},
        "status": {"phase": "Pending"}});
    assert_eq!(pod(&pending)[2], "Pending");
    assert_eq!(pod(&pending)[6], "<none>");
}

#[test]
fn node_and_event_cells() {
    let n = json!({"metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
        "spec": {"unschedulable": true},
        "status": {"conditions": [{"type": "Ready", "status": "True"}],
            "addresses": [{"type": "InternalIP", "address": "192.168.0.10"}],
            "nodeInfo": {"kubeletVersion": "v1.33.0"}}});
    let c = node(&n);
    assert_eq!(c[1], "Ready,SchedulingDisabled");
    assert_eq!(c[2], "control-plane");
    assert_eq!(c[4], "v1.33.0");
    assert_eq!(c[5], "192.168.0.10");
    assert_eq!(c[6], "<none>");
    assert_eq!(c[7], "<unknown>");
    let e = json!({"metadata": {"name": "p.1"}, "type": "Warning", "reason": "OOMKilling",
        "involvedObject": {"kind": "Pod", "name": "p"}, "message": " killed \n",
        "source": {"component": "kubelet", "host": "n1"}, "count": 2});
    let c = event(&e);
    assert_eq!(c[0], "<unknown>");
    assert_eq!(c[3], "pod/p");
    assert_eq!(c[5], "kubelet, n1");
    assert_eq!(c[6], "killed");
    assert_eq!(c[8], 2);
}

#[test]
fn restarts_count_init_containers_while_initializing_then_sidecars_and_apps() {
    let ago = |secs: i64| util::rfc3339_at(util::unix_now() - secs);
    let mut p = pod_with(json!([{"name": "a", "ready": true, "restartCount": 1,
        "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": ago(600)}}}]));
    p["spec"]["initContainers"] =
        json!([{"name": "setup"}, {"name": "proxy", "restartPolicy": "Always"}]);
    p["status"]["initContainerStatuses"] = json!([
        {"name": "setup", "restartCount": 3, "state": {"terminated": {"exitCode": 0}},
            "lastState": {"terminated": {"finishedAt": ago(60)}}},
        {"name": "proxy", "restartCount": 2, "started": true, "ready": true,
            "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": ago(300)}}}]);
    p["status"]["conditions"] = json!([{"type": "Initialized", "status": "True"}]);
    // Initialized: the plain init container's restarts (and its newer finish) no longer count.
    assert_eq!(pod(&p)[3], json!("3 (5m ago)"));

    // Still initializing: the restarts of the init containers looked at, the app's not at all.
    p["status"]["conditions"] = json!([{"type": "Initialized", "status": "False"}]);
    p["status"]["initContainerStatuses"][0]["state"] =
        json!({"waiting": {"reason": "CrashLoopBackOff"}});
    let cells = pod(&p);
    assert_eq!(cells[2], json!("Init:CrashLoopBackOff"));
    assert_eq!(cells[3], json!("3 (60s ago)"));
}
