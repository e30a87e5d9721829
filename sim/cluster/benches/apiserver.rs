//! Memory and list latency of the simulated API server with 10,000 pods and 10 watchers attached.
//!
//! `cargo bench -p rightsize-sim-cluster --bench apiserver [-- PODS WATCHERS]` (defaults 10000 and
//! 10). Starts the sim in-process as a bare API server (no scheduler, kubelet or controllers, so
//! nothing churns the pods while lists are timed: they stay Pending), creates the pods over HTTP
//! in 10 namespaces (app label: 100 values), attaches kube-rs `watcher`s on all pods and waits for
//! each to finish its initial list, then times lists as plain HTTP/1.1 GETs read to the end (not
//! parsed: the server's cost plus loopback transfer) and the fan-out of one update to every
//! watcher.
//! Memory is this process's VmRSS from /proc/self/status at each step, so it includes the kube-rs
//! clients' buffers, not only the store.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use rightsize_sim_cluster::{SimCluster, SimConfig};
use serde_json::json;
use tokio::sync::mpsc;

const NAMESPACES: usize = 10;
const APPS: usize = 100;
const CREATE_CONCURRENCY: usize = 32;
const FANOUT_UPDATES: usize = 50;

fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
            .map_or_else(|| "?".to_string(), |kb| format!("{:.1} MiB", kb / 1024.0))
    };
    format!("VmRSS {} (peak {})", field("VmRSS:"), field("VmHWM:"))
}

fn pod(i: usize) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": format!("pod-{i:05}"),
            "labels": {"app": format!("app-{}", i % APPS), "tier": "web", "pod-template-hash": "5d8f9c7b6"},
            "annotations": {"sim.rightsize.dev/memory-profile": "constant:100Mi"},
        },
        "spec": {"containers": [{
            "name": "web",
            "image": "registry.example/web:1.27",
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "env": [{"name": "MODE", "value": "production"}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        }]},
    }))
    .expect("pod json")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// One GET over a fresh loopback connection, read to the end; the response's size in bytes.
fn raw_get(addr: SocketAddr, path: &str) -> usize {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    assert!(buf.starts_with(b"HTTP/1.1 200"), "GET {path} failed");
    buf.len()
}

/// `runs` timed lists of `path`: plain HTTP/1.1 from a blocking thread, so the figure is the
/// server's work plus loopback transfer, without any client-side decoding.
async fn time_list(addr: SocketAddr, path: &str, runs: usize) -> (Vec<Duration>, usize) {
    let path = path.to_string();
    tokio::task::spawn_blocking(move || {
        let mut times = Vec::with_capacity(runs);
        let mut bytes = 0;
        for _ in 0..runs {
            let t = Instant::now();
            bytes = raw_get(addr, &path);
            times.push(t.elapsed());
        }
        times.sort();
        (times, bytes)
    })
    .await
    .expect("lists")
}

fn http_get(path: &str) -> axum::http::Request<Vec<u8>> {
    axum::http::Request::get(path)
        .body(Vec::new())
        .expect("request")
}

async fn run(pods: usize, watchers: usize) {
    println!("before start: {}", rss());
    let sim = SimCluster::start(SimConfig {
        run_controllers: false,
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let client = sim.client().expect("client");
    println!("sim started, empty: {}", rss());

    let ns_api: Api<Namespace> = Api::all(client.clone());
    for n in 0..NAMESPACES {
        let ns: Namespace =
            serde_json::from_value(json!({"metadata": {"name": format!("ns-{n}")}})).unwrap();
        ns_api.create(&PostParams::default(), &ns).await.unwrap();
    }
    let per_ns = pods.div_ceil(NAMESPACES);
    let t = Instant::now();
    futures_util::stream::iter(0..pods)
        .map(|i| {
            let api: Api<Pod> = Api::namespaced(client.clone(), &format!("ns-{}", i / per_ns));
            async move {
                api.create(&PostParams::default(), &pod(i))
                    .await
                    .map(|_| ())
            }
        })
        .buffer_unordered(CREATE_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .expect("pods created");
    let created = t.elapsed();
    assert_eq!(sim.object_count("", "pods"), pods);
    println!(
        "{pods} pods created in {:.2} s ({:.0}/s, {CREATE_CONCURRENCY} concurrent): {}",
        created.as_secs_f64(),
        pods as f64 / created.as_secs_f64(),
        rss()
    );

    // Watchers: each reports when its initial list is done, then every pod it sees applied.
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<(usize, String, Instant)>();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..watchers {
        let api: Api<Pod> = Api::all(client.clone());
        let (ready_tx, seen_tx) = (ready_tx.clone(), seen_tx.clone());
        tasks.push(tokio::spawn(async move {
            let mut stream = watcher(api, watcher::Config::default()).boxed();
            let mut initial = 0usize;
            while let Some(ev) = stream.next().await {
                match ev {
                    Ok(watcher::Event::InitApply(_)) => initial += 1,
                    Ok(watcher::Event::InitDone) => {
                        assert!(initial >= 1, "watcher {w} listed nothing");
                        let _ = ready_tx.send(());
                    }
                    Ok(watcher::Event::Apply(p)) => {
                        let rv = p.metadata.resource_version.unwrap_or_default();
                        let _ = seen_tx.send((w, rv, Instant::now()));
                    }
                    _ => {}
                }
            }
        }));
    }
    for _ in 0..watchers {
        tokio::time::timeout(Duration::from_secs(300), ready_rx.recv())
            .await
            .expect("watchers synced in time");
    }
    println!(
        "{watchers} watchers synced (initial list of {pods} pods each) in {:.2} s: {}",
        t.elapsed().as_secs_f64(),
        rss()
    );

    let sel = "labelSelector=app%3Dapp-7";
    let cases = [
        ("all namespaces", "/api/v1/pods".to_string(), 30),
        (
            "all namespaces, labelSelector app=app-7",
            format!("/api/v1/pods?{sel}"),
            200,
        ),
        (
            "one namespace",
            "/api/v1/namespaces/ns-3/pods".to_string(),
            200,
        ),
        (
            "one namespace, labelSelector app=app-7",
            format!("/api/v1/namespaces/ns-3/pods?{sel}"),
            200,
        ),
    ];
    println!();
    println!("| list (watchers attached) | items | response | runs | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (what, path, runs) in cases {
        let (times, bytes) = time_list(sim.addr(), &path, runs).await;
        let items = serde_json::from_str::<serde_json::Value>(
            &client.request_text(http_get(&path)).await.unwrap(),
        )
        .ok()
        .and_then(|v| v["items"].as_array().map(Vec::len))
        .unwrap_or(0);
        let size = if bytes >= 1 << 20 {
            format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
        } else {
            format!("{:.1} KiB", bytes as f64 / 1024.0)
        };
        println!(
            "| {what} | {items} | {size} | {runs} | {} | {} | {} |",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().unwrap())
        );
    }
    println!();
    println!("after the lists: {}", rss());

    // Fan-out: patch one pod's annotation; time until every watcher has seen that version.
    while seen_rx.try_recv().is_ok() {}
    let api: Api<Pod> = Api::namespaced(client.clone(), "ns-0");
    let mut fanout = Vec::new();
    for u in 0..FANOUT_UPDATES {
        let t = Instant::now();
        let p = api
            .patch(
                "pod-00000",
                &PatchParams::default(),
                &Patch::Merge(
                    json!({"metadata": {"annotations": {"bench/update": u.to_string()}}}),
                ),
            )
            .await
            .expect("patch");
        let rv = p.metadata.resource_version.unwrap_or_default();
        let mut got = vec![false; watchers];
        let mut last = t;
        while got.iter().any(|g| !g) {
            let (w, seen_rv, at) = tokio::time::timeout(Duration::from_secs(30), seen_rx.recv())
                .await
                .expect("every watcher sees the update")
                .expect("watchers alive");
            if seen_rv == rv {
                got[w] = true;
                last = last.max(at);
            }
        }
        fanout.push(last - t);
    }
    fanout.sort();
    println!(
        "update → seen by all {watchers} watchers ({FANOUT_UPDATES} updates): p50 {} ms, p99 {} ms",
        ms(percentile(&fanout, 0.5)),
        ms(percentile(&fanout, 0.99))
    );
    for t in tasks {
        t.abort();
    }
    drop(sim);
}

fn main() {
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let pods = nums.first().copied().unwrap_or(10_000);
    let watchers = nums.get(1).copied().unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(pods, watchers));
}
