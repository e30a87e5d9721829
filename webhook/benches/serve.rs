//! Admission throughput and latency over TLS with keep-alive, measured with h2load
//! (`apt-get install -y nghttp2-client`), against two servers started in this process on
//! loopback, one after the other with the same load:
//!
//! - `ceiling`: a minimal axum + rustls handler that only parses the AdmissionReview and echoes
//!   its uid (the same TLS stack and listener as the webhook);
//! - `webhook`: the real `/mutate` router with the real HistoryView, whose profiles were written
//!   by `rightsize-sim history load` (the bundled traces) into a simulated cluster; every request
//!   is a pod of a Deployment that has a profile, so every answer is a computed JSONPatch.
//!
//! Runs: (a) saturating, 50 connections, HTTP/2 one stream each and HTTP/1.1; (b) a fixed
//! 1,000 requests/s (`--rps 20` per connection × 50). p50/p99 come from h2load's per-request log.
//!
//! `cargo bench -p rightsize-webhook --bench serve` (options: `BENCH_SECONDS`, default 10).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use kube::core::DynamicObject;
use kube::core::admission::AdmissionReview;
use rightsize_history::{HistoryMetrics, HistoryView};
use rightsize_sim::history::LoadArgs;
use rightsize_sim_cluster::{SimCluster, SimConfig};
use rightsize_webhook::admission::AdmissionConfig;
use rightsize_webhook::app::{App, ClusterState};
use rightsize_webhook::metrics::{Outcome, WebhookMetrics};
use rightsize_webhook::server::{self, TlsServer};
use rightsize_webhook::tls::ReloadingCert;

const CONNECTIONS: u32 = 50;
const FIXED_RATE: u32 = 1000;
const WORKLOAD: &str = "nezha-cartservice";

/// The ceiling: parse the review, echo the uid, allow.
async fn echo(body: Bytes) -> (axum::http::StatusCode, Vec<u8>) {
    match serde_json::from_slice::<AdmissionReview<DynamicObject>>(&body) {
        Ok(review) => {
            let uid = review.request.map(|r| r.uid).unwrap_or_default();
            let out = serde_json::json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "response": {"uid": uid, "allowed": true}});
            (axum::http::StatusCode::OK, out.to_string().into_bytes())
        }
        Err(e) => (
            axum::http::StatusCode::BAD_REQUEST,
            e.to_string().into_bytes(),
        ),
    }
}

/// A review of a pod of Deployment `shop/WORKLOAD`, as the API server sends it at CREATE.
fn review_body() -> Vec<u8> {
    let hash = "7d9f8b6c5";
    serde_json::to_vec(&serde_json::json!({
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {"uid": "0b6e2d1c-bench-4000-8000-000000000001",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "", "namespace": "shop", "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": ["system:authenticated"]},
            "object": {"kind": "Pod", "apiVersion": "v1",
                "metadata": {"generateName": format!("{WORKLOAD}-{hash}-"),
                    "labels": {"app": WORKLOAD, "pod-template-hash": hash},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{WORKLOAD}-{hash}"),
                        "uid": "5e6f7a8b-0000-4000-8000-00000000aaaa", "controller": true, "blockOwnerDeletion": true}]},
                "spec": {"containers": [{"name": "app", "image": "cartservice:1",
                    "resources": {"requests": {"memory": "256Mi", "cpu": "100m"}, "limits": {"memory": "512Mi"}},
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}],
                    "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                    "serviceAccountName": "default", "schedulerName": "default-scheduler", "enableServiceLinks": true, "priority": 0},
                "status": {}},
            "oldObject": null, "dryRun": false,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}}
    }))
    .unwrap()
}

struct Run {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    ok: u64,
    failed: u64,
}

/// Runs h2load against `addr` and reads its per-request log.
fn h2load(addr: SocketAddr, body: &Path, dir: &Path, extra: &[String], seconds: u64) -> Run {
    let log = dir.join("h2load.log");
    let _ = std::fs::remove_file(&log);
    let mut cmd = Command::new("h2load");
    cmd.args(["-c", &CONNECTIONS.to_string(), "-t", "1", "-m", "1"])
        .args(["-D", &seconds.to_string(), "--warm-up-time", "2"])
        .args(["-d", body.to_str().unwrap()])
        .args(["-H", "content-type: application/json"])
        .args(["--log-file", log.to_str().unwrap()])
        .args(extra)
        .arg(format!("https://{addr}/mutate"));
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("h2load not runnable ({e}): apt-get install -y nghttp2-client"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "h2load failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rps = text
        .lines()
        .find(|l| l.starts_with("finished in"))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    // Log lines: start time (µs), status, duration (µs).
    let mut lat: Vec<f64> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split('\t').nth(2)?.trim().parse::<f64>().ok())
        .collect();
    let statuses: Vec<u32> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split('\t').nth(1)?.trim().parse().ok())
        .collect();
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
            / 1000.0
    };
    Run {
        rps,
        p50_ms: q(0.50),
        p99_ms: q(0.99),
        ok: statuses.iter().filter(|s| **s == 200).count() as u64,
        failed: statuses.iter().filter(|s| **s != 200).count() as u64,
    }
}

fn print(label: &str, r: &Run) {
    println!(
        "{label:<44} {:>10.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} ok, {} other)",
        r.rps, r.p50_ms, r.p99_ms, r.ok, r.failed
    );
}

fn traces() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sim/testdata/traces")
}

#[tokio::main]
async fn main() {
    rightsize_webhook::tls::install_default_provider();
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();

    // History: the bundled traces, loaded by `history load` into a simulated cluster.
    let sim = SimCluster::start(SimConfig::default()).await.unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    let load = LoadArgs {
        traces: traces(),
        namespace: "shop".into(),
        container: "app".into(),
        kubeconfig,
        history_namespace: "rightsize-system".into(),
        keep_timestamps: false,
    };
    load.run(&mut std::io::sink()).await.unwrap();
    let client = sim.client().unwrap();
    let view = Arc::new(HistoryView::start(
        client.clone(),
        "rightsize-system",
        HistoryMetrics::default(),
    ));
    tokio::time::timeout(Duration::from_secs(30), view.ready())
        .await
        .unwrap();

    // Certificates (rcgen) in files, as the webhook reads them.
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (crt_path, key_path) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&crt_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let body = dir.path().join("review.json");
    std::fs::write(&body, review_body()).unwrap();

    let metrics = WebhookMetrics::default();
    let app = Arc::new(App::new(
        view.clone(),
        AdmissionConfig::default(),
        ClusterState::fixed(HashMap::new(), None),
        metrics.clone(),
    ));
    let serve = |router: Router| {
        let cert = ReloadingCert::load(&crt_path, &key_path, WebhookMetrics::default()).unwrap();
        TlsServer::start("127.0.0.1:0".parse().unwrap(), Arc::new(cert), router)
    };
    let ceiling = serve(Router::new().route("/mutate", post(echo)))
        .await
        .unwrap();
    let webhook = serve(server::router(app)).await.unwrap();
    let (ceiling_addr, webhook_addr) = (
        ceiling.local_addr().await.unwrap(),
        webhook.local_addr().await.unwrap(),
    );

    println!(
        "h2load, {CONNECTIONS} connections over TLS with keep-alive, {seconds} s per run (after 2 s warm-up)"
    );
    println!("(a) saturating");
    let h2: Vec<String> = vec![];
    let h1: Vec<String> = vec!["--h1".into()];
    let (tmp, s) = (dir.path(), seconds);
    let c2 = h2load(ceiling_addr, &body, tmp, &h2, s);
    print("ceiling (parse + echo uid), HTTP/2", &c2);
    let w2 = h2load(webhook_addr, &body, tmp, &h2, s);
    print("webhook (/mutate, profile hit), HTTP/2", &w2);
    let c1 = h2load(ceiling_addr, &body, tmp, &h1, s);
    print("ceiling (parse + echo uid), HTTP/1.1", &c1);
    let w1 = h2load(webhook_addr, &body, tmp, &h1, s);
    print("webhook (/mutate, profile hit), HTTP/1.1", &w1);
    println!(
        "webhook / ceiling throughput: HTTP/2 {:.0} %, HTTP/1.1 {:.0} %",
        100.0 * w2.rps / c2.rps.max(1.0),
        100.0 * w1.rps / c1.rps.max(1.0)
    );
    println!("(b) fixed {FIXED_RATE} req/s");
    let rate: Vec<String> = vec!["--rps".into(), (FIXED_RATE / CONNECTIONS).to_string()];
    let cf = h2load(ceiling_addr, &body, tmp, &rate, s);
    print("ceiling, HTTP/2, 1000 req/s", &cf);
    let wf = h2load(webhook_addr, &body, tmp, &rate, s);
    print("webhook, HTTP/2, 1000 req/s", &wf);
    println!(
        "webhook reviews answered with a patch: {} (other outcomes: unchanged {}, malformed {}, internal {})",
        metrics.reviews(Outcome::Patched),
        metrics.reviews(Outcome::Unchanged),
        metrics.reviews(Outcome::Malformed),
        metrics.reviews(Outcome::InternalError)
    );
    ceiling.shutdown(Duration::from_secs(1)).await.unwrap();
    webhook.shutdown(Duration::from_secs(1)).await.unwrap();
}
