//! What a new user sees with kubectl against the simulated cluster, compared with the real
//! server's printers: `get pods` STATUS reasons (OOMKilled, CrashLoopBackOff, Pending) and
//! RESTARTS with "(Xs ago)", `-o wide` columns, `get nodes` (ROLES, VERSION, INTERNAL-IP),
//! `get events` columns, `describe`, `top`, `explain` (OpenAPI v3 schemas), unknown fields
//! refused under kubectl's strict validation, `kubectl logs` answered in plain text, node conditions and addresses,
//! `cluster-info`, and `/version/` with a trailing slash. Skipped, loudly, without kubectl.

use rightsize_sim_cluster::testing::kubectl::{self, ok};
use rightsize_sim_cluster::testing::{eventually, kubectl::run_in as run};
use serde_json::Value;

/// A pod whose single container uses `usage` against a 100Mi limit.
fn pod(name: &str, usage: &str, restart: &str, cpu: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  annotations:\n    sim.rightsize.dev/memory-profile: constant:{usage}\nspec:\n  restartPolicy: {restart}\n  containers:\n  - name: app\n    image: app:1\n    resources:\n      requests: {{cpu: {cpu}, memory: 50Mi}}\n      limits: {{memory: 100Mi}}\n"
    )
}

fn header(out: &str) -> Vec<&str> {
    out.lines()
        .next()
        .unwrap_or("")
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn row<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_describes_pods_nodes_and_events_as_the_real_printers() {
    if !kubectl::required("the kubectl printing test") {
        return;
    }
    let (_sim, dir) = crate::session().await;
    let home = dir.path();
    let manifests = [
        pod("steady", "40Mi", "Always", "10m"),
        pod("crashing", "200Mi", "Always", "10m"),
        pod("killed", "200Mi", "Never", "10m"),
        pod("too-big", "40Mi", "Always", "500"),
    ]
    .join("---\n");
    std::fs::write(home.join("pods.yaml"), manifests).unwrap();
    ok(
        &run(
            home,
            &["apply", "-f", home.join("pods.yaml").to_str().unwrap()],
        )
        .await,
        "apply pods",
    );

    let pods = eventually("each pod in its expected state", || async {
        let out = run(home, &["get", "pods"]).await;
        let out = String::from_utf8_lossy(&out.stdout).into_owned();
        let ok = row(&out, "steady").contains(" Running ")
            && row(&out, "crashing").contains(" CrashLoopBackOff ")
            && row(&out, "crashing").contains(" ago)")
            && row(&out, "killed").contains(" OOMKilled ")
            && row(&out, "too-big").contains(" Pending ");
        ok.then_some(out)
    })
    .await;
    assert_eq!(
        header(&pods),
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    assert!(row(&pods, "steady").contains(" 1/1 "), "{pods}");

    let wide = ok(
        &run(home, &["get", "pods", "-o", "wide"]).await,
        "get pods -o wide",
    );
    assert_eq!(
        header(&wide),
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES"
        ]
    );
    assert!(row(&wide, "steady").contains(" 10.244."), "{wide}");
    assert!(row(&wide, "too-big").contains("<none>"), "{wide}");

    let nodes = ok(&run(home, &["get", "nodes"]).await, "get nodes");
    assert_eq!(
        header(&nodes),
        ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    );
    let node_line = nodes.lines().nth(1).unwrap_or("");
    assert!(
        node_line.contains(" Ready ")
            && node_line.contains("<none>")
            && node_line.contains("v1.33"),
        "{nodes}"
    );
    let nodes_wide = ok(
        &run(home, &["get", "nodes", "-o", "wide"]).await,
        "get nodes -o wide",
    );
    assert!(header(&nodes_wide).contains(&"INTERNAL-IP"), "{nodes_wide}");
    assert!(nodes_wide.contains("192.168.0.10"), "{nodes_wide}");
    let node: Value = serde_json::from_str(&ok(
        &run(home, &["get", "nodes", "-o", "jsonpath={.items[0]}"]).await,
        "get node json",
    ))
    .unwrap();
    let types: Vec<&str> = node["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["type"].as_str())
        .collect();
    assert_eq!(
        types,
        ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
    );
    let addresses: Vec<&str> = node["status"]["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["type"].as_str())
        .collect();
    assert_eq!(addresses, ["InternalIP", "Hostname"]);

    let events = ok(&run(home, &["get", "events"]).await, "get events");
    assert_eq!(
        header(&events),
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    );
    assert!(events.contains("pod/crashing"), "{events}");

    let described = ok(
        &run(home, &["describe", "pod", "crashing"]).await,
        "describe pod",
    );
    assert!(
        described.contains("CrashLoopBackOff") && described.contains("OOMKilled"),
        "{described}"
    );
    let top = eventually("kubectl top pods", || async {
        let out = run(home, &["top", "pods"]).await;
        let out = String::from_utf8_lossy(&out.stdout).into_owned();
        row(&out, "steady").contains("Mi").then_some(out)
    })
    .await;
    assert_eq!(header(&top), ["NAME", "CPU(cores)", "MEMORY(bytes)"]);

    let logs = ok(&run(home, &["logs", "steady"]).await, "logs");
    assert!(
        logs.contains("simulated") && logs.contains("no logs"),
        "{logs}"
    );
    let err = kubectl::refused(
        &run(home, &["logs", "steady", "-c", "nope"]).await,
        "logs -c nope",
    );
    assert!(
        err.contains("container nope is not valid for pod steady"),
        "{err}"
    );

    let info = ok(&run(home, &["cluster-info"]).await, "cluster-info");
    assert!(
        info.contains("Kubernetes control plane is running at"),
        "{info}"
    );

    let version = ok(
        &run(home, &["get", "--raw", "/version/"]).await,
        "GET /version/",
    );
    let version: Value = serde_json::from_str(&version).unwrap();
    assert_eq!(version["major"], "1");
}
