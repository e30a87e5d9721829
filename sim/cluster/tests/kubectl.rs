//! kubectl against the simulated cluster over HTTP with a written kubeconfig: create a
//! namespace, create a Deployment from a manifest (its pods appear, owned by a ReplicaSet),
//! list pods in all namespaces, read PodMetrics through `--raw`, and see a ConfigMap over 1 MiB
//! refused. Skipped, loudly, where kubectl is not installed.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{eventually, start};

fn kubectl_present() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

async fn kubectl(dir: &Path, args: &[&str]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new("kubectl")
            .arg(format!("--kubeconfig={}", dir.join("kubeconfig").display()))
            .arg("--request-timeout=20s")
            .args(&args)
            // kubectl caches discovery under $HOME/.kube; keep it in the test's directory.
            .env("HOME", &dir)
            .env_remove("KUBECONFIG")
            .output()
            .expect("kubectl runs")
    })
    .await
    .unwrap()
}

fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
spec:
  replicas: 2
  selector:
    matchLabels:
      app: frontend
  template:
    metadata:
      labels:
        app: frontend
      annotations:
        sim.rightsize.dev/memory-profile: constant:100Mi
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_creates_lists_reads_metrics_and_is_refused_a_large_configmap() {
    if !kubectl_present() {
        eprintln!(
            "\n\n*** SKIPPED: kubectl is not installed; the kubectl scenario did not run ***\n\n"
        );
        return;
    }
    let sim = start().await;
    let dir = tempfile::tempdir().unwrap();
    sim.write_kubeconfig(&dir.path().join("kubeconfig"))
        .unwrap();
    let d = dir.path();

    // The sim serves no OpenAPI document, so `create -f` runs with `--validate=false`.
    // `kubectl create namespace` uses a typed client that sends protobuf, which the sim does
    // not decode (it answers 415); the same object through a manifest goes as JSON.
    std::fs::write(
        d.join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
    )
    .unwrap();
    ok(
        &kubectl(
            d,
            &[
                "create",
                "--validate=false",
                "-f",
                d.join("ns.yaml").to_str().unwrap(),
            ],
        )
        .await,
        "create namespace",
    );
    std::fs::write(d.join("deploy.yaml"), DEPLOYMENT).unwrap();
    ok(
        &kubectl(
            d,
            &[
                "create",
                "--validate=false",
                "-n",
                "shop",
                "-f",
                d.join("deploy.yaml").to_str().unwrap(),
            ],
        )
        .await,
        "create -f",
    );

    let pods = eventually("two running pods owned by a ReplicaSet", || async {
        let out = kubectl(d, &["get", "pods", "-n", "shop", "-o", "json"]).await;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        let items = v["items"].as_array()?.clone();
        let good = items.len() == 2
            && items.iter().all(|p| {
                p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
                    && p["status"]["phase"] == "Running"
            });
        good.then_some(items)
    })
    .await;
    let name = pods[0]["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("frontend-"), "{name}");

    let all = ok(&kubectl(d, &["get", "pods", "-A"]).await, "get pods -A");
    assert!(
        all.contains("NAMESPACE")
            && all.contains("shop")
            && all.contains(&name)
            && all.contains("Running"),
        "{all}"
    );

    let raw = ok(
        &kubectl(
            d,
            &[
                "get",
                "--raw",
                "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods",
            ],
        )
        .await,
        "get --raw metrics",
    );
    let m: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(m["kind"], "PodMetricsList");
    assert_eq!(m["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        m["items"][0]["containers"][0]["usage"]["memory"],
        "102400Ki"
    );

    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: {}\n",
        "x".repeat(1024 * 1024 + 100)
    );
    std::fs::write(d.join("big.yaml"), big).unwrap();
    let refused = kubectl(
        d,
        &[
            "create",
            "--validate=false",
            "-n",
            "shop",
            "-f",
            d.join("big.yaml").to_str().unwrap(),
        ],
    )
    .await;
    assert!(
        !refused.status.success(),
        "a ConfigMap over 1 MiB was accepted"
    );
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("is invalid") && err.contains("1048576"),
        "{err}"
    );
}
