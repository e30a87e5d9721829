//! `rightsize-sim history load`: turns recorded traces into history-store entries, so a cluster
//! (the simulated one, or a real one) starts with learned profiles: for the webhook benchmark,
//! the demo and trying the webhook by hand.
//!
//! Each workload folder of `--traces` becomes the profile of Deployment `NS/<folder>`, container
//! `--container`: every sample of every replica is recorded in time order, and each replica
//! counts once per hour it was seen, which is what the `rightsize` policy records while it
//! replays the same trace in the evaluator (`RightsizePolicy::observe`). Timestamps are shifted
//! so that the newest sample falls in the current hour (the store keeps 14 days and garbage
//! collects older entries; `--keep-timestamps` turns that off). The profiles go through the
//! store's own `HistoryWriter`, into the namespace `--history-namespace` (created if missing).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use rightsize_history::{HistoryConfig, HistoryMetrics, HistoryWriter};
use rightsize_policy::profile::{UsageProfile, hour_of};
use rightsize_policy::workload::{WorkloadKind, WorkloadRef};

use crate::evaluate::trace::{self, Workload};

/// Container name the profiles are stored under by default.
pub const DEFAULT_CONTAINER: &str = "app";
/// The history store's namespace in deploy/.
pub const DEFAULT_HISTORY_NAMESPACE: &str = "rightsize-system";
const HOUR_SECONDS: i64 = 3600;

/// `rightsize-sim history ...`
#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: HistoryCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum HistoryCommand {
    /// Replay each trace workload into a usage profile and write it to a cluster's history store.
    Load(LoadArgs),
}

/// Flags of `history load`. Each is also an environment variable; those of this command alone are
/// prefixed `HISTORY_LOAD_` (a bare `NAMESPACE` or `CONTAINER` is too common in a shell or a pod
/// to be read by accident); `KUBECONFIG` and `HISTORY_NAMESPACE` mean what they mean elsewhere.
#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// Trace directory: `DIR/<workload>/<replica>.csv`.
    #[arg(long, env = "HISTORY_LOAD_TRACES", value_name = "DIR")]
    pub traces: PathBuf,
    /// Namespace of the Deployments the profiles belong to.
    #[arg(long, env = "HISTORY_LOAD_NAMESPACE", value_name = "NS")]
    pub namespace: String,
    /// Container name of every profile.
    #[arg(long, env = "HISTORY_LOAD_CONTAINER", default_value = DEFAULT_CONTAINER)]
    pub container: String,
    /// Kubeconfig of the cluster to write to.
    #[arg(long, env = "KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: PathBuf,
    /// Namespace of the history store's ConfigMaps (created if missing).
    #[arg(long, env = "HISTORY_NAMESPACE", default_value = DEFAULT_HISTORY_NAMESPACE)]
    pub history_namespace: String,
    /// Keep the traces' own timestamps instead of ending them in the current hour.
    #[arg(long, env = "HISTORY_LOAD_KEEP_TIMESTAMPS")]
    pub keep_timestamps: bool,
}

impl HistoryArgs {
    pub fn run(&self, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
        match &self.command {
            HistoryCommand::Load(args) => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(args.run(out))
            }
        }
    }
}

impl LoadArgs {
    pub async fn run(&self, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
        let workloads = trace::load_dir(&self.traces)?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
        let shift_to = (!self.keep_timestamps).then_some(now);
        let client = client(&self.kubeconfig).await?;
        load(
            client,
            &workloads,
            &self.namespace,
            &self.container,
            &self.history_namespace,
            shift_to,
            out,
        )
        .await
    }
}

/// Writes the profile of each of `workloads` (Deployment `namespace/<name>`, `container`) into the
/// history store of `history_namespace` (created if missing), one line per workload on `out`.
/// Shared by `history load` and the demo.
pub async fn load(
    client: kube::Client,
    workloads: &[Workload],
    namespace: &str,
    container: &str,
    history_namespace: &str,
    shift_to: Option<i64>,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    ensure_namespace(&client, history_namespace).await?;
    let writer = HistoryWriter::new(
        client,
        HistoryConfig::new(history_namespace),
        HistoryMetrics::default(),
    );
    for w in workloads {
        let profile = profile_of(w, shift_to);
        let workload = WorkloadRef::new(namespace, WorkloadKind::Deployment, &w.name);
        writer.update(&workload, container, &profile);
        writeln!(
            out,
            "{}: container {container}, {} samples, {} hours, {} replica-hours",
            workload.key(),
            w.samples(),
            profile.hours_observed(),
            profile.replica_hours()
        )?;
    }
    let report = writer
        .flush_now()
        .await
        .context("writing the history store")?;
    writeln!(
        out,
        "wrote {} workloads into {history_namespace} ({report:?})",
        workloads.len(),
    )?;
    Ok(())
}

/// A client for the cluster `path` names (its current context).
pub async fn client(path: &Path) -> anyhow::Result<kube::Client> {
    let kubeconfig =
        Kubeconfig::read_from(path).with_context(|| format!("reading {}", path.display()))?;
    let config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
    Ok(kube::Client::try_from(config)?)
}

/// Creates `name` unless it exists.
pub async fn ensure_namespace(client: &kube::Client, name: &str) -> anyhow::Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": name}}))?;
    match api.create(&PostParams::default(), &ns).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating namespace {name}")),
    }
}

/// The profile the `rightsize` policy learns from `w`: every sample in (time, replica) order,
/// each replica counted once per hour. With `shift_to`, the newest sample moves into that
/// time's hour and the rest keep their distance from it.
pub fn profile_of(w: &Workload, shift_to: Option<i64>) -> UsageProfile {
    let newest = w
        .replicas
        .iter()
        .filter_map(|r| r.t.last().copied())
        .max()
        .unwrap_or(0);
    // Whole hours, so hour-of-day and day-of-week patterns keep their phase within the hour.
    let shift = shift_to.map_or(0, |to| {
        (to - newest).div_euclid(HOUR_SECONDS) * HOUR_SECONDS
    });
    let mut order: Vec<(i64, usize, usize)> = w
        .replicas
        .iter()
        .enumerate()
        .flat_map(|(r, rep)| rep.t.iter().enumerate().map(move |(i, &t)| (t, r, i)))
        .collect();
    order.sort_unstable();
    let mut profile = UsageProfile::new();
    let mut counted: HashSet<(usize, i64)> = HashSet::new();
    for (t, r, i) in order {
        let t = (t + shift) as f64;
        profile.record(t, w.replicas[r].peak[i]);
        if counted.insert((r, hour_of(t))) {
            profile.count_replica(t);
        }
    }
    profile
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::trace::Replica;

    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

    fn workload() -> Workload {
        // Two replicas over three hours; replica b peaks at 2 GiB in the second hour.
        let a = Replica::from_rows(
            "a.csv",
            &[
                (0, GIB, GIB, 0.0),
                (1800, GIB, GIB, 0.0),
                (3600, GIB, GIB, 0.0),
                (7200, GIB, GIB, 0.0),
            ],
        );
        let b = Replica::from_rows(
            "b.csv",
            &[(3600, GIB, 2.0 * GIB, 0.0), (5400, GIB, GIB, 0.0)],
        );
        Workload {
            name: "cart".into(),
            replicas: vec![a, b],
        }
    }

    #[test]
    fn each_replica_counts_once_per_hour_and_peaks_are_kept() {
        let p = profile_of(&workload(), None);
        assert_eq!(p.hours_observed(), 3);
        // a: hours 0, 1, 2; b: hour 1 (twice sampled, counted once).
        assert_eq!(p.replica_hours(), 4);
        assert_eq!(p.hour_peak(1).map(|b| (b / GIB).round()), Some(2.0));
    }

    #[test]
    fn shifting_ends_the_profile_in_the_current_hour() {
        let now = 1_800_000_000 + 1234;
        let p = profile_of(&workload(), Some(now));
        assert_eq!(
            p.last_seen().map(|s| s / HOUR_SECONDS),
            Some(now / HOUR_SECONDS)
        );
        assert_eq!(p.replica_hours(), 4);
    }
}
