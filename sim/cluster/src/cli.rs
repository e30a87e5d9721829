//! `rightsize-sim apiserver`: run a simulated cluster until interrupted, writing a kubeconfig
//! for kubectl and kube-rs. The `rightsize-sim` binary only parses and calls [`ApiserverArgs::run`].

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::{DEFAULT_METRICS_TOKEN, KubeVersion, NodeConfig, SimConfig};
use crate::{Error, SimCluster};

/// Default listen address: the real API server's port, on loopback only.
const DEFAULT_LISTEN: &str = "127.0.0.1:6443";

/// Arguments of `rightsize-sim apiserver`.
#[derive(Debug, Clone, clap::Args)]
pub struct ApiserverArgs {
    /// Address to serve the Kubernetes API on (plain HTTP).
    #[arg(long, env = "SIM_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Where to write the kubeconfig pointing at the server.
    #[arg(long, env = "SIM_KUBECONFIG")]
    pub kubeconfig: PathBuf,
    /// Kubernetes version whose resize rules apply (1.33 or 1.34).
    #[arg(long, env = "SIM_KUBE_VERSION", default_value = "1.33")]
    pub kube_version: KubeVersion,
    /// Number of simulated nodes (at least 1).
    #[arg(long, env = "SIM_NODES", default_value_t = 1, value_parser = parse_nodes, allow_hyphen_values = true)]
    pub nodes: usize,
    /// Allocatable cpu per node (a positive Kubernetes quantity: `4`, `3500m`).
    #[arg(long, env = "SIM_NODE_CPU", default_value = "4", value_parser = parse_positive_quantity, allow_hyphen_values = true)]
    pub node_cpu: String,
    /// Allocatable memory per node (a positive Kubernetes quantity: `8Gi`, `512Mi`).
    #[arg(long, env = "SIM_NODE_MEMORY", default_value = "8Gi", value_parser = parse_positive_quantity, allow_hyphen_values = true)]
    pub node_memory: String,
    /// Speed factor of memory usage generators (60 = one simulated minute per second; > 0).
    #[arg(long, env = "SIM_SPEED", default_value_t = 1.0, value_parser = parse_speed, allow_hyphen_values = true)]
    pub speed: f64,
    /// Seed of fault injection's draws (not set: from the clock; logged at start either way).
    #[arg(long, env = "SIM_FAULT_SEED")]
    pub fault_seed: Option<u64>,
    /// Also serve metrics-server's API at its own HTTPS URL on this address (self-signed
    /// certificate, bearer token required); not set: not served.
    #[arg(long, env = "SIM_METRICS_SERVER_LISTEN")]
    pub metrics_server_listen: Option<SocketAddr>,
    /// The bearer token the metrics-server endpoint accepts.
    #[arg(long, env = "SIM_METRICS_TOKEN", default_value = DEFAULT_METRICS_TOKEN)]
    pub metrics_token: String,
    /// Where to write the metrics-server endpoint's certificate (PEM), for METRICS_CA_FILE.
    #[arg(long, env = "SIM_METRICS_CA_OUT")]
    pub metrics_ca_out: Option<PathBuf>,
    /// Serve a kube-state-metrics-compatible text endpoint (plain HTTP, `/metrics`) on this
    /// address; not set: not served.
    #[arg(long, env = "SIM_KUBE_STATE_METRICS_LISTEN")]
    pub kube_state_metrics_listen: Option<SocketAddr>,
    /// Also write a kubeconfig for the HTTPS listener (same API, self-made CA): kubectl sends
    /// `--token` only over TLS, so ServiceAccount tokens are tried with this one.
    #[arg(long, env = "SIM_TLS_KUBECONFIG")]
    pub tls_kubeconfig: Option<PathBuf>,
}

/// `--nodes`: a cluster needs a node to schedule on.
fn parse_nodes(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s:?} is not a whole number of nodes")),
    }
}

/// `--node-cpu`, `--node-memory`: a Kubernetes quantity above zero, read by the sim's own
/// quantity parser (the one the API server side uses), so a node never carries a value the
/// server would refuse.
fn parse_positive_quantity(s: &str) -> Result<String, String> {
    let q = crate::quantity::parse(s.trim()).ok_or_else(|| {
        format!("{s:?} is not a Kubernetes quantity (examples: 4, 3500m, 8Gi, 512Mi)")
    })?;
    if q.nanos() <= 0 {
        return Err(format!("{s:?} must be greater than zero"));
    }
    Ok(s.trim().to_string())
}

/// `--speed`: a finite factor above zero (0 would freeze the usage clock, negative reverse it).
fn parse_speed(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(_) => Err(format!("{s:?} must be a finite number greater than zero")),
        Err(_) => Err(format!("{s:?} is not a number")),
    }
}

impl ApiserverArgs {
    /// Start the cluster, write the kubeconfig, and serve until Ctrl-C / SIGTERM.
    pub fn run(&self) -> Result<(), Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        runtime.block_on(async {
            let config = SimConfig {
                listen: self.listen,
                version: self.kube_version,
                nodes: (1..=self.nodes)
                    .map(|i| {
                        NodeConfig::new(&format!("sim-node-{i}"), &self.node_cpu, &self.node_memory)
                    })
                    .collect(),
                speed: self.speed,
                fault_seed: self.fault_seed,
                metrics_server_listen: self.metrics_server_listen,
                metrics_token: self.metrics_token.clone(),
                kube_state_metrics_listen: self.kube_state_metrics_listen,
                ..SimConfig::default()
            };
            let sim = SimCluster::start(config).await?;
            if let Some(path) = &self.tls_kubeconfig {
                sim.write_tls_kubeconfig(path)?;
                println!(
                    "HTTPS on {} (kubeconfig: {})",
                    sim.https_url(),
                    path.display()
                );
            }
            sim.write_kubeconfig(&self.kubeconfig)?;
            println!(
                "simulated Kubernetes API server on {} (kubeconfig: {})",
                sim.url(),
                self.kubeconfig.display()
            );
            if let (Some(url), Some(pem)) = (sim.metrics_server_url(), sim.metrics_server_ca_pem())
            {
                if let Some(path) = &self.metrics_ca_out {
                    std::fs::write(path, pem).map_err(|source| Error::WriteCa {
                        path: path.clone(),
                        source,
                    })?;
                }
                println!("simulated metrics-server on {url} (HTTPS, bearer token required)");
            }
            if let Some(url) = sim.kube_state_metrics_url() {
                println!("simulated kube-state-metrics on {url}/metrics");
            }
            sim.serve_until(shutdown_signal()).await;
            Ok(())
        })
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
