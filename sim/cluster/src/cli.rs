//! `rightsize-sim apiserver`: run a simulated cluster until interrupted, writing a kubeconfig
//! for kubectl and kube-rs. The `rightsize-sim` binary only parses and calls [`ApiserverArgs::run`].

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::{KubeVersion, NodeConfig, SimConfig};
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
    /// Number of simulated nodes.
    #[arg(long, env = "SIM_NODES", default_value_t = 1)]
    pub nodes: usize,
    /// Allocatable cpu per node.
    #[arg(long, env = "SIM_NODE_CPU", default_value = "4")]
    pub node_cpu: String,
    /// Allocatable memory per node.
    #[arg(long, env = "SIM_NODE_MEMORY", default_value = "8Gi")]
    pub node_memory: String,
    /// Speed factor of memory usage generators (60 = one simulated minute per second).
    #[arg(long, env = "SIM_SPEED", default_value_t = 1.0)]
    pub speed: f64,
    /// Seed of fault injection's draws (not set: from the clock; logged at start either way).
    #[arg(long, env = "SIM_FAULT_SEED")]
    pub fault_seed: Option<u64>,
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
                nodes: (1..=self.nodes.max(1))
                    .map(|i| {
                        NodeConfig::new(&format!("sim-node-{i}"), &self.node_cpu, &self.node_memory)
                    })
                    .collect(),
                speed: self.speed,
                fault_seed: self.fault_seed,
                ..SimConfig::default()
            };
            let sim = SimCluster::start(config).await?;
            sim.write_kubeconfig(&self.kubeconfig)?;
            println!(
                "simulated Kubernetes API server on {} (kubeconfig: {})",
                sim.url(),
                self.kubeconfig.display()
            );
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
