//! Cost of the controller's cycle at 1,000 and 10,000 pods (issue 8's acceptance): the real
//! `rightsize-controller` binary, a process of its own, against the simulated cluster started
//! in this process, with every pod opted in.
//!
//! `cargo bench -p rightsize-controller --bench cycle [-- PODS...]` (default `1000 10000`;
//! `BENCH_CYCLES` cycles measured, default 6; `BENCH_INTERVAL` seconds between cycles, default 2).
//!
//! Pods are spread over 20 opted-in namespaces and 100 workloads (`generateName`), one container
//! each (64Mi request, 128Mi limit, a constant 50Mi working set), on as many nodes as they need.
//! Once every pod runs and the controller has done two cycles (its caches filled, its sizers
//! restored), the bench reads, before and after `BENCH_CYCLES` more cycles:
//! - the controller's CPU time (utime + stime of the process, /proc/PID/stat, USER_HZ = 100):
//!   everything it did between the two reads (cycles, watch events, history flushes), divided by
//!   the cycles run;
//! - its resident memory (VmRSS, and the peak VmHWM, /proc/PID/status);
//! - the requests the sim served, by verb and resource (`SimCluster::request_counts`), per cycle;
//! - its own `/metrics` (cycles, cycle duration, resizes).
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams, PostParams};
use rightsize_sim_cluster::{NodeConfig, SimCluster, SimConfig};
use serde_json::json;

const NAMESPACES: usize = 20;
const WORKLOADS: usize = 100;
const PODS_PER_NODE: u32 = 110;
const CREATE_CONCURRENCY: usize = 16;
const OWN_NS: &str = "rightsize-system";
/// Linux reports utime/stime in USER_HZ ticks, 100 per second on every architecture.
const USER_HZ: f64 = 100.0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system) of process `pid`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at state (field 3).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / USER_HZ
}

/// (VmRSS, VmHWM) of process `pid`, MiB.
fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The controller's `/metrics`, as text.
fn scrape(admin: SocketAddr) -> String {
    let Ok(mut s) = TcpStream::connect(admin) else {
        return String::new();
    };
    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Sum of the series of `name` (any labels).
fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.starts_with(name) && matches!(l.as_bytes().get(name.len()), Some(b' ' | b'{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .fold(0.0, |a, b| a + b)
}

fn pod(i: usize, ns: &str) -> Pod {
    let w = i % WORKLOADS;
    serde_json::from_value(json!({
        "metadata": {
            "name": format!("app-{w}-{i:05}"), "namespace": ns, "generateName": format!("app-{w}-"),
            "labels": {"app": format!("app-{w}")},
            "annotations": {"sim.rightsize.dev/memory-profile": "constant:50Mi"},
        },
        "spec": {"containers": [{"name": "app", "image": "app:1",
            "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]},
    }))
    .expect("pod json")
}

async fn populate(client: &kube::Client, n: usize) {
    let nss: Vec<String> = (0..NAMESPACES).map(|i| format!("bench-{i:02}")).collect();
    for (name, enabled) in nss
        .iter()
        .map(|n| (n.as_str(), true))
        .chain([(OWN_NS, false)])
    {
        let mut labels = json!({});
        if enabled {
            labels["rightsize.dev/enabled"] = json!("true");
        }
        let ns: Namespace =
            serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}})).unwrap();
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .expect("namespace");
    }
    stream::iter(0..n)
        .map(|i| {
            let ns = &nss[i % NAMESPACES];
            let api: Api<Pod> = Api::namespaced(client.clone(), ns);
            async move {
                api.create(&PostParams::default(), &pod(i, ns))
                    .await
                    .expect("pod created");
            }
        })
        .buffer_unordered(CREATE_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let start = Instant::now();
    loop {
        let pods = Api::<Pod>::all(client.clone())
            .list(&ListParams::default())
            .await
            .expect("list");
        let running = pods
            .items
            .iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
            .count();
        if running == n {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "{running}/{n} running after 10 min"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn controller(kubeconfig: &std::path::Path, admin: SocketAddr, interval: f64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rightsize-controller"))
        .env_clear()
        .env("KUBECONFIG", kubeconfig)
        .env("LOG_LEVEL", "WARNING")
        .args(["--metrics-source", "api", "--leader-election", "false"])
        .args(["--metrics-fetch-interval", &interval.to_string()])
        .args([
            "--pod-namespace",
            OWN_NS,
            "--admin-addr",
            &admin.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the controller binary starts")
}

async fn wait_cycles(admin: SocketAddr, at_least: f64) -> String {
    let start = Instant::now();
    loop {
        let m = scrape(admin);
        if series(&m, "rightsize_controller_cycles_total") >= at_least {
            return m;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "no cycles after 10 min"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Requests per cycle by verb and resource, between two snapshots.
fn per_cycle(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>, cycles: f64) -> String {
    after
        .iter()
        .filter_map(|(k, v)| {
            let d = v - before.get(k).copied().unwrap_or(0);
            (d > 0).then(|| format!("{k} {:.1}", d as f64 / cycles))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn measure(n: usize, cycles: usize, interval: f64) {
    let nodes = n.div_ceil(100).max(1);
    let sim = SimCluster::start(SimConfig {
        nodes: (1..=nodes)
            .map(|i| NodeConfig {
                pods: PODS_PER_NODE,
                ..NodeConfig::new(&format!("node-{i}"), "16", "64Gi")
            })
            .collect(),
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let client = sim.client().expect("client");
    let t = Instant::now();
    populate(&client, n).await;
    eprintln!(
        "{n} pods running on {nodes} nodes after {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let admin = rightsize_sim_cluster::testing::free_local_addr();
    let mut child = controller(&kubeconfig, admin, interval);
    let pid = child.id();
    let warm = wait_cycles(admin, 2.0).await;
    let c0 = series(&warm, "rightsize_controller_cycles_total");
    let (cpu0, req0) = (cpu_seconds(pid), sim.request_counts());
    let (d0, dn0) = (
        series(&warm, "rightsize_controller_cycle_duration_seconds_sum"),
        series(&warm, "rightsize_controller_cycle_duration_seconds_count"),
    );
    let done = wait_cycles(admin, c0 + cycles as f64).await;
    let (cpu1, req1) = (cpu_seconds(pid), sim.request_counts());
    let (rss, hwm) = memory_mib(pid);
    let ran = series(&done, "rightsize_controller_cycles_total") - c0;
    let duration = (series(&done, "rightsize_controller_cycle_duration_seconds_sum") - d0)
        / (series(&done, "rightsize_controller_cycle_duration_seconds_count") - dn0).max(1.0);
    let observed = series(&done, "rightsize_controller_pods_observed");
    let resizes = series(&done, "rightsize_controller_resizes_total");
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "| {n} | {ran:.0} | {:.0} ms | {:.0} ms | {observed:.0} | {rss:.0} MiB | {hwm:.0} MiB | {resizes:.0} | {} |",
        (cpu1 - cpu0) / ran * 1000.0,
        duration * 1000.0,
        per_cycle(&req0, &req1, ran),
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1000, 10_000]
    } else {
        sizes
    };
    let cycles = env_or("BENCH_CYCLES", 6usize);
    let interval = env_or("BENCH_INTERVAL", 2.0f64);
    println!(
        "| pods | cycles | controller CPU per cycle | cycle duration (mean) | pods observed | VmRSS | VmHWM | resizes (total) | API requests per cycle (verb resource) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        measure(n, cycles, interval).await;
    }
}
