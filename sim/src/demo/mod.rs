//! `rightsize-sim demo`: the whole system at work on this machine in about a minute. Starts the
//! embedded cluster, creates deploy/'s objects through the demo overlay (`deploy/demo`), runs
//! the real `rightsize-certs`, `rightsize-webhook` (over TLS, reached through the
//! MutatingWebhookConfiguration's Service) and `rightsize-controller` (metrics.k8s.io) as child
//! processes with the overlay's configuration, creates workloads whose usage follows traces and
//! generators, and reports what happened, every figure read back from the cluster.
//!
//! `manifests` reads deploy/ and picks what the cluster gets, `binaries` finds and runs the
//! binaries, `workloads` defines what runs, `observe` counts, `summary` and `svg` report, `run`
//! sequences it all.

pub mod binaries;
pub mod manifests;
pub mod observe;
mod run;
pub mod summary;
pub mod svg;
pub mod workloads;

use std::path::PathBuf;

/// Default length of a run (seconds of wall-clock time after the workloads are created).
pub const DEFAULT_DURATION_SECONDS: f64 = 60.0;
/// Default speed of the simulated usage: one simulated minute per second.
pub const DEFAULT_SPEED: f64 = 60.0;

/// Arguments of `rightsize-sim demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Seconds the workloads run before the summary.
    #[arg(long, env = "DEMO_DURATION", default_value_t = DEFAULT_DURATION_SECONDS)]
    pub duration: f64,
    /// Write the summary as JSON to this file.
    #[arg(long, env = "DEMO_SUMMARY_JSON", value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Draw usage, request and limit over time per workload into this SVG file.
    #[arg(long, env = "DEMO_SVG", value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Write an admin kubeconfig here, to watch the demo with kubectl while it runs.
    #[arg(long, env = "DEMO_KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Keep the cluster and the binaries running after the summary, until Ctrl-C.
    #[arg(long, env = "DEMO_KEEP")]
    pub keep: bool,
    /// The kustomization the demo applies (its base is its parent directory's).
    #[arg(long, env = "DEMO_OVERLAY", value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/demo"))]
    pub overlay: PathBuf,
    /// Directory of the bundled traces the workloads replay.
    #[arg(long, env = "DEMO_TRACES", value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/traces"))]
    pub traces: PathBuf,
    /// Directory of rightsize-certs, rightsize-webhook and rightsize-controller (default: beside
    /// this executable, built with cargo if missing).
    #[arg(long, env = "DEMO_BIN_DIR", value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
    /// Speed of the simulated usage (60 = one simulated minute per second).
    #[arg(long, env = "DEMO_SPEED", default_value_t = DEFAULT_SPEED)]
    pub speed: f64,
}

impl DemoArgs {
    /// Run the demo (its own tokio runtime); Ctrl-C stops it cleanly at any point.
    pub fn run(&self) -> anyhow::Result<()> {
        if !(self.duration > 0.0 && self.speed > 0.0) {
            anyhow::bail!("--duration and --speed must be positive");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        runtime.block_on(run::run(self))
    }
}
