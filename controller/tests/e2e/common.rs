//! Harness of the end-to-end tests: a simulated cluster over HTTP, the controller's real `run`
//! with a real kube client of that cluster, and scenario helpers (namespaces, pods, waits).

#![allow(dead_code)]

use std::net::SocketAddr;

use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::events::v1::Event;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use rightsize_controller::Settings;
use rightsize_sim_cluster::{SimCluster, SimConfig};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The shared polling helper and its bound (`rightsize_sim_cluster::testing`), for every scenario.
pub use rightsize_sim_cluster::testing::{WAIT, eventually};
pub const NS: &str = "shop";
pub const OWN_NS: &str = "rightsize-system";
pub use rightsize_policy::seed::MIB as MI;

/// A running controller (the library's `run`, as `main` calls it).
pub struct Controller {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
    pub admin: SocketAddr,
}

impl Controller {
    /// Start with the test defaults (metrics through the API server every 0.3 s, no election,
    /// admin on an ephemeral port; the policy's defaults) plus `flags`.
    pub async fn start(sim: &SimCluster, flags: &[&str]) -> Self {
        let mut all = vec![
            "--metrics-source",
            "api",
            "--metrics-fetch-interval",
            "0.3",
            "--leader-election",
            "false",
            "--admin-addr",
            "127.0.0.1:0",
            "--pod-namespace",
            OWN_NS,
            "--history-flush-interval",
            "1",
        ];
        all.extend_from_slice(flags);
        let settings = Settings::from_flags(all.iter().copied()).expect("valid flags");
        Self::start_with(controller_client(sim).await, settings).await
    }

    pub async fn start_with(client: Client, settings: Settings) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let (stop, rx) = oneshot::channel::<()>();
        let (addr_tx, addr_rx) = oneshot::channel();
        let task = tokio::spawn(rightsize_controller::run(
            settings,
            client,
            async move {
                let _ = rx.await;
            },
            Some(Box::new(move |a| {
                let _ = addr_tx.send(a);
            })),
        ));
        let admin = tokio::time::timeout(WAIT, addr_rx)
            .await
            .expect("controller started")
            .expect("admin address");
        Self {
            stop: Some(stop),
            task,
            admin,
        }
    }

    /// Graceful stop (as on SIGTERM); returns what `run` returned.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("controller stops in time")
            .expect("controller task did not panic")
    }

    /// `/metrics` text.
    pub async fn metrics(&self) -> String {
        http_get(self.admin, "/metrics").await
    }
}

/// Plain HTTP GET on loopback (the admin server), body as text.
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    out
}

/// The value of a series in Prometheus text (`name{labels}` as written), 0 when absent.
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// The repository's deploy/ directory.
pub fn deploy_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// A client as deploy/'s `rightsize-controller` ServiceAccount (its token, over HTTPS): the
/// controller may do what deploy/'s RBAC grants it and nothing more, so a missing grant fails
/// the scenario here rather than on a user's cluster.
pub async fn controller_client(sim: &SimCluster) -> Client {
    sim.service_account_client(OWN_NS, "rightsize-controller")
        .await
        .expect("controller ServiceAccount client")
}

/// A cluster with the scenario namespaces and deploy/'s ServiceAccounts and RBAC; the
/// administrator's client (for the scenario's own setup and checks).
pub async fn start_sim(config: SimConfig) -> (SimCluster, Client) {
    let sim = SimCluster::start(config).await.expect("sim starts");
    let client = sim.client().expect("client");
    for (ns, enabled) in [(NS, true), (OWN_NS, false)] {
        let mut labels = json!({});
        if enabled {
            labels["rightsize.dev/enabled"] = json!("true");
        }
        let obj: Namespace =
            serde_json::from_value(json!({"metadata": {"name": ns, "labels": labels}})).unwrap();
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &obj)
            .await
            .expect("namespace");
    }
    sim.install_rbac(&deploy_dir())
        .await
        .expect("deploy/'s ServiceAccounts and RBAC");
    (sim, client)
}

/// A pod spec with one container `app`: memory request/limit ("" = unset), usage profile and
/// extra annotations.
pub fn pod(name: &str, request: &str, limit: &str, profile: &str, annotations: Value) -> Pod {
    let mut resources = json!({"requests": {"cpu": "100m"}});
    if !request.is_empty() {
        resources["requests"]["memory"] = json!(request);
    }
    if !limit.is_empty() {
        resources["limits"] = json!({"memory": limit});
    }
    let mut ann = annotations;
    ann["sim.rightsize.dev/memory-profile"] = json!(profile);
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": NS, "annotations": ann, "labels": {"app": name}},
        "spec": {"containers": [{"name": "app", "image": "app:1", "resources": resources}]}
    }))
    .unwrap()
}

pub async fn create(client: &Client, pod: &Pod) -> Api<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), NS);
    api.create(&PostParams::default(), pod)
        .await
        .expect("pod created");
    api
}

/// Bytes of a quantity string.
pub fn bytes(q: &str) -> f64 {
    rightsize_policy::quantity::Quantity::parse(q)
        .expect("quantity")
        .as_f64()
}

/// Desired (spec) memory request and limit of container `c`, bytes.
pub fn spec_memory(pod: &Pod, c: &str) -> (Option<f64>, Option<f64>) {
    let ct = pod
        .spec
        .as_ref()
        .unwrap()
        .containers
        .iter()
        .chain(pod.spec.as_ref().unwrap().init_containers.iter().flatten())
        .find(|x| x.name == c)
        .unwrap();
    let r = ct.resources.as_ref();
    let get = |l: Option<
        &std::collections::BTreeMap<
            String,
            k8s_openapi::apimachinery::pkg::api::resource::Quantity,
        >,
    >| { l.and_then(|m| m.get("memory")).map(|q| bytes(&q.0)) };
    (
        get(r.and_then(|r| r.requests.as_ref())),
        get(r.and_then(|r| r.limits.as_ref())),
    )
}

pub fn restarts(pod: &Pod, c: &str) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().find(|s| s.name == c))
        .map_or(0, |s| s.restart_count)
}

pub fn qos(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.qos_class.clone())
        .unwrap_or_default()
}

/// Events with `reason` on pod `name`, notes in order.
pub async fn events(client: &Client, name: &str, reason: &str) -> Vec<String> {
    let api: Api<Event> = Api::namespaced(client.clone(), NS);
    let mut list: Vec<Event> = api
        .list(&ListParams::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| {
            e.reason.as_deref() == Some(reason)
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
        })
        .collect();
    list.sort_by_key(|e| e.event_time.as_ref().map(|t| t.0));
    list.into_iter().filter_map(|e| e.note).collect()
}

/// Wait until pod `name` is Running.
pub async fn running(api: &Api<Pod>, name: &str) -> Pod {
    eventually(&format!("pod {name} running"), || async {
        let p = api.get(name).await.ok()?;
        (p.status.as_ref()?.phase.as_deref() == Some("Running")).then_some(p)
    })
    .await
}

/// Flags for a controller that never gets a usage sample (metrics from a URL where nothing
/// listens): only the pod watch (or kube-state-metrics) can explain what it does.
pub const NO_METRICS: [&str; 4] = [
    "--metrics-source",
    "url",
    "--metrics-server-url",
    "http://127.0.0.1:9",
];

/// Make `pod` a pod of Job `job` (controller ownerReference with `uid`).
pub fn owned_by_job(pod: &mut Pod, job: &str, uid: &str) {
    pod.metadata.owner_references = Some(vec![
        serde_json::from_value(json!({
            "apiVersion": "batch/v1", "kind": "Job", "name": job, "uid": uid, "controller": true
        }))
        .unwrap(),
    ]);
}

/// Wait until pod `name` has failed (phase `Failed`); `what` says why it should.
pub async fn failed(api: &Api<Pod>, name: &str, what: &str) -> Pod {
    eventually(what, || async {
        let p = api.get(name).await.ok()?;
        (p.status.as_ref()?.phase.as_deref() == Some("Failed")).then_some(p)
    })
    .await
}

/// Wait for the controller's `rightsize.dev/last-resize` stamp on pod `name`.
pub async fn last_resize(api: &Api<Pod>, name: &str) -> k8s_openapi::jiff::Timestamp {
    let stamp = eventually(&format!("the last-resize annotation on {name}"), || async {
        api.get(name)
            .await
            .ok()?
            .metadata
            .annotations?
            .get("rightsize.dev/last-resize")
            .cloned()
    })
    .await;
    stamp.parse().expect("an RFC 3339 last-resize stamp")
}
