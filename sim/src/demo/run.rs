//! The demo's sequence: cluster, deploy/'s objects, certificates, history, webhook, controller,
//! workloads, observation, summary; and a clean stop (children first, SIGTERM) at the end or on
//! Ctrl-C at any point.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, DeleteParams, ListParams};
use rightsize_sim_cluster::{NodeConfig, SimCluster, SimConfig};

use super::binaries::{self, Proc};
use super::observe::{self, Tally};
use super::workloads::{self, APP_LABEL, NAMESPACE};
use super::{DemoArgs, manifests, summary};

/// deploy/'s namespace (the ServiceAccounts', the Lease's, the Secret's).
const SYSTEM_NAMESPACE: &str = "rightsize-system";
/// The webhook's Service in deploy/ (`namespace/name`, the sim's service endpoint key).
const WEBHOOK_SERVICE: &str = "rightsize-system/rightsize-webhook";
/// Where deploy/ mounts the serving certificate (`webhook.yaml`); the demo writes the Secret's
/// files into a directory of its own instead.
const TLS_SECRET_KEYS: [&str; 2] = ["tls.crt", "tls.key"];
/// Period of sampling the cluster, and of printing a progress line.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);
const PRINT_EVERY: usize = 3;
/// How long the binaries get to become ready (a loaded 2-core machine).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Fraction of the run after which the [`workloads::RECREATED`] pod is deleted.
const RECREATE_AT: f64 = 0.5;
/// The simulated node: room for every workload and its bumps.
const NODE_CPU: &str = "8";
const NODE_MEMORY: &str = "32Gi";

/// The running parts, stopped in reverse order by [`Running::stop`].
#[derive(Default)]
struct Running {
    procs: Vec<Proc>,
    sim: Option<SimCluster>,
}

impl Running {
    async fn stop(&mut self) {
        while let Some(p) = self.procs.pop() {
            let name = p.name.clone();
            let clean = tokio::task::spawn_blocking(move || p.stop())
                .await
                .unwrap_or(false);
            println!(
                "stopped {name}{}",
                if clean { "" } else { " (not cleanly)" }
            );
        }
        if let Some(mut sim) = self.sim.take() {
            sim.stop().await;
        }
    }
}

pub async fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let work = tempfile::Builder::new()
        .prefix("rightsize-demo-")
        .tempdir()?;
    let mut running = Running::default();
    let result = tokio::select! {
        r = stages(args, work.path(), &mut running) => r,
        _ = tokio::signal::ctrl_c() => {
            println!("interrupted: stopping");
            Ok(())
        }
    };
    running.stop().await;
    if result.is_err() {
        // Keep the binaries' logs the error points to.
        let kept = work.keep();
        eprintln!("logs kept in {}", kept.display());
    }
    result
}

fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

async fn stages(args: &DemoArgs, work: &Path, running: &mut Running) -> anyhow::Result<()> {
    let bin_dir = {
        let dir = args.bin_dir.clone();
        tokio::task::spawn_blocking(move || binaries::locate(dir.as_deref())).await??
    };
    let objects = manifests::render(&args.overlay)?;
    let config = manifests::config_data(&objects)?;
    let base_dir = args.overlay.join("..");
    let base = manifests::config_data(&manifests::render(&base_dir)?)?;
    let mut overlay = BTreeMap::new();
    println!(
        "demo overlay {} (base value in brackets):",
        args.overlay.display()
    );
    for (k, b, v) in manifests::overlay_changes(&base, &config) {
        println!("  {k}={v} [{}]", b.as_deref().unwrap_or("not set"));
        overlay.insert(k, v);
    }

    let webhook_addr = free_port()?;
    let sim = SimCluster::start(SimConfig {
        nodes: vec![NodeConfig::new("sim-node-1", NODE_CPU, NODE_MEMORY)],
        speed: args.speed,
        service_endpoints: HashMap::from([(WEBHOOK_SERVICE.to_owned(), webhook_addr)]),
        ..SimConfig::default()
    })
    .await?;
    if let Some(k) = &args.kubeconfig {
        sim.write_kubeconfig(k)?;
        println!("kubeconfig for kubectl: {}", k.display());
    }
    println!("simulated cluster on {}", sim.url());
    let client = sim.client()?;

    let installed = manifests::cluster_objects(&objects);
    sim.create_objects(&installed, SYSTEM_NAMESPACE).await?;
    println!(
        "created {} objects of deploy/ (the {} run as processes below)",
        installed.len(),
        manifests::RUN_AS_PROCESSES.join(", ")
    );
    let history_ns = config
        .get("HISTORY_NAMESPACE")
        .cloned()
        .unwrap_or_else(|| SYSTEM_NAMESPACE.to_owned());

    // Each binary talks to the API server as the ServiceAccount deploy/ gives its pods (RBAC
    // enforced, so a missing grant fails here), with deploy/'s ConfigMap as its environment.
    let env_of = |kind: &str, name: &str| -> anyhow::Result<BTreeMap<String, String>> {
        let account = manifests::service_account(&objects, kind, name)?;
        let kubeconfig = work.join(format!("{account}.kubeconfig"));
        sim.write_service_account_kubeconfig(&kubeconfig, SYSTEM_NAMESPACE, &account)?;
        let mut env = config.clone();
        env.insert("KUBECONFIG".into(), kubeconfig.display().to_string());
        Ok(env)
    };
    let certs_env = env_of("Job", "rightsize-certs-init")?;
    let webhook_env = env_of("Deployment", "rightsize-webhook")?;
    let mut controller_env = env_of("Deployment", "rightsize-controller")?;
    running.sim = Some(sim);

    // rightsize-certs: the Secret and the caBundle, as deploy/'s first Job does.
    let certs = Proc::start(
        &bin_dir,
        "rightsize-certs",
        "rightsize-certs",
        &[],
        &certs_env,
        work,
    )?;
    tokio::task::spawn_blocking(move || certs.wait_success(READY_TIMEOUT)).await??;
    let tls_dir = write_tls(&client, &config, work).await?;
    println!("rightsize-certs wrote the serving certificate and the caBundle");

    print!(
        "{}",
        workloads::seed_history(&client, &args.traces, &history_ns).await?
    );

    let webhook_admin = free_port()?;
    let webhook_args = [
        format!("--listen={webhook_addr}"),
        format!("--admin-listen={webhook_admin}"),
        format!("--tls-cert={}", tls_dir.join("tls.crt").display()),
        format!("--tls-key={}", tls_dir.join("tls.key").display()),
    ];
    let webhook = Proc::start(
        &bin_dir,
        "rightsize-webhook",
        "rightsize-webhook",
        &webhook_args,
        &webhook_env,
        work,
    )?;
    running.procs.push(webhook);
    wait_ready(running, webhook_admin).await?;
    println!("rightsize-webhook ready on {webhook_addr} (admin {webhook_admin})");

    let controller_admin = free_port()?;
    // deploy/'s downward API values, and the admin port on loopback.
    controller_env.insert("POD_NAME".into(), "rightsize-controller-demo-0".into());
    controller_env.insert("POD_NAMESPACE".into(), SYSTEM_NAMESPACE.into());
    controller_env.insert("ADMIN_ADDR".into(), controller_admin.to_string());
    let controller = Proc::start(
        &bin_dir,
        "rightsize-controller",
        "rightsize-controller",
        &[],
        &controller_env,
        work,
    )?;
    running.procs.push(controller);
    wait_ready(running, controller_admin).await?;
    println!(
        "rightsize-controller ready (admin {controller_admin}); logs in {}",
        work.display()
    );

    workloads::create(&client, &args.traces).await?;
    println!(
        "created {} workloads in namespace {NAMESPACE}:",
        workloads::WORKLOADS.len()
    );
    for w in workloads::WORKLOADS {
        println!(
            "  {:<12} declared {:>5}  {}: {}",
            w.name,
            w.declared,
            w.profile.split(':').next().unwrap_or(""),
            w.shows
        );
    }

    let tally = observe_for(args, &client, running).await?;
    print!("{}", summary::table(&tally, &overlay));
    let mut forbidden = 0;
    for p in &running.procs {
        let lines = p.forbidden_lines();
        forbidden += lines.len();
        if let Some(first) = lines.first() {
            println!(
                "{}: {} API calls refused by RBAC, e.g. {first}",
                p.name,
                lines.len()
            );
        }
    }
    if let Some(path) = &args.summary_json {
        let mut json = summary::json(args.duration, &tally, &overlay);
        json["forbidden_api_calls"] = forbidden.into();
        write_atomic(path, &serde_json::to_string_pretty(&json)?)?;
        println!("summary JSON: {}", path.display());
    }
    if let Some(path) = &args.svg {
        write_atomic(path, &super::svg::render(&tally))?;
        println!("picture: {}", path.display());
    }
    if args.keep {
        println!("--keep: the cluster and the binaries keep running; Ctrl-C stops them");
        loop {
            for p in &mut running.procs {
                p.check()?;
            }
            tokio::time::sleep(SAMPLE_EVERY).await;
        }
    }
    Ok(())
}

/// Samples the cluster for the run's duration, printing progress; deletes the
/// [`workloads::RECREATED`] pod halfway so its replacement is admitted from history.
async fn observe_for(
    args: &DemoArgs,
    client: &kube::Client,
    running: &mut Running,
) -> anyhow::Result<Tally> {
    let start = Instant::now();
    let mut tally = Tally::default();
    let mut recreated = false;
    let mut n = 0;
    loop {
        let t = start.elapsed().as_secs_f64();
        observe::sample(client, &mut tally, t).await?;
        if n % PRINT_EVERY == 0 {
            println!("{}", summary::progress(t, &tally));
        }
        n += 1;
        for p in &mut running.procs {
            p.check()?;
        }
        if !recreated && t >= args.duration * RECREATE_AT {
            recreated = true;
            let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
            let selector = format!("{APP_LABEL}={}", workloads::RECREATED);
            for p in pods.list(&ListParams::default().labels(&selector)).await? {
                let name = p.metadata.name.unwrap_or_default();
                pods.delete(&name, &DeleteParams::default()).await?;
                println!(
                    "deleted pod {name}: its replacement is admitted with what the controller learned"
                );
            }
        }
        if t >= args.duration {
            return Ok(tally);
        }
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
}

/// The certs Secret's serving pair as files, as the webhook's Secret volume would hold them.
async fn write_tls(
    client: &kube::Client,
    config: &BTreeMap<String, String>,
    work: &Path,
) -> anyhow::Result<PathBuf> {
    let ns = config
        .get("WEBHOOK_NAMESPACE")
        .map_or("rightsize-system", String::as_str);
    let name = config
        .get("TLS_SECRET")
        .map_or("rightsize-webhook-tls", String::as_str);
    let secret = Api::<Secret>::namespaced(client.clone(), ns)
        .get(name)
        .await
        .with_context(|| format!("reading Secret {ns}/{name} written by rightsize-certs"))?;
    let dir = work.join("tls");
    std::fs::create_dir_all(&dir)?;
    let data = secret.data.unwrap_or_default();
    for key in TLS_SECRET_KEYS {
        let value = data
            .get(key)
            .with_context(|| format!("Secret {ns}/{name} has no {key}"))?;
        std::fs::write(dir.join(key), &value.0)?;
    }
    Ok(dir)
}

/// Polls `/readyz` (deploy/'s readiness probe) until 200, failing if a child exits.
async fn wait_ready(running: &mut Running, admin: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if http_status(admin, "/readyz").await == Some(200)
            && http_status(admin, "/healthz").await == Some(200)
        {
            return Ok(());
        }
        for p in &mut running.procs {
            p.check()?;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{admin}/readyz not ready after {READY_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Status of a plain HTTP GET on loopback, `None` when nothing answers.
async fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    String::from_utf8_lossy(&buf)
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Written whole or not at all (a test waits for the file to appear).
fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
