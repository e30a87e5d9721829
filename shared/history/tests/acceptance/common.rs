//! Shared fixtures: a bare simulated API server, a namespace, deterministic profiles, and
//! helpers that read what is really stored (straight from the API, not through the crate).
//! The benchmarks (`benches/`) include this file by path for the same harness.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use rightsize_history::{Clock, HistoryConfig, HistoryMetrics, WorkloadHistory, layout};
use rightsize_policy::profile::UsageProfile;
use rightsize_policy::workload::{WorkloadKind, WorkloadRef};
use rightsize_sim_cluster::{SimCluster, SimConfig};

pub const NS: &str = "rightsize-system";
/// "Now" for every test: a fixed time, so that profiles are young and the TTL is testable.
pub const NOW: i64 = 1_760_000_000;
/// Start of the two weeks of hourly data the profiles hold.
pub const BASE: i64 = NOW - 14 * 24 * 3600;
/// Seed of the simulated cluster's fault injection in these tests.
pub const FAULT_SEED: u64 = 0x5EED_0011;

/// Bound of every wait: the tests' one bound (generous for a loaded 2-core machine).
pub use rightsize_sim_cluster::testing::WAIT;

pub struct Env {
    pub sim: SimCluster,
    pub client: Client,
    pub metrics: HistoryMetrics,
    pub now: Arc<AtomicI64>,
}

/// A bare API server (no kubelet or controllers: nothing else writes) with namespace [`NS`].
pub async fn start() -> anyhow::Result<Env> {
    let sim = SimCluster::start(SimConfig {
        run_controllers: false,
        // Fixed: the writers' fault scenarios draw the same failures on every run.
        fault_seed: Some(FAULT_SEED),
        ..SimConfig::default()
    })
    .await?;
    let client = sim.client()?;
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(NS.into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await?;
    let mut registry = prometheus_client::registry::Registry::with_prefix("rightsize");
    Ok(Env {
        sim,
        client,
        metrics: HistoryMetrics::register(&mut registry),
        now: Arc::new(AtomicI64::new(NOW)),
    })
}

impl Env {
    /// A clock that reads [`Env::now`].
    pub fn clock(&self) -> Clock {
        let now = Arc::clone(&self.now);
        Clock::from_fn(move || now.load(Ordering::Relaxed))
    }

    /// Writer settings for tests: the test clock, quick retries.
    pub fn config(&self) -> HistoryConfig {
        HistoryConfig {
            retry_min_delay: Duration::from_millis(2),
            retry_max_delay: Duration::from_millis(50),
            max_attempts: 12,
            clock: self.clock(),
            ..HistoryConfig::new(NS)
        }
    }

    pub fn config_maps(&self) -> Api<ConfigMap> {
        Api::namespaced(self.client.clone(), NS)
    }

    /// Every shard as stored, by name.
    pub async fn shards(&self) -> anyhow::Result<BTreeMap<String, ConfigMap>> {
        let list = self
            .config_maps()
            .list(&ListParams::default().labels(&layout::label_selector()))
            .await?;
        Ok(list
            .items
            .into_iter()
            .map(|cm| (cm.metadata.name.clone().unwrap_or_default(), cm))
            .collect())
    }

    /// Every decodable entry as stored, with the shards holding a copy, copies merged.
    pub async fn stored(&self) -> anyhow::Result<HashMap<String, (WorkloadHistory, Vec<String>)>> {
        let mut out: HashMap<String, (WorkloadHistory, Vec<String>)> = HashMap::new();
        for (name, cm) in self.shards().await? {
            for (key, bytes) in cm.binary_data.into_iter().flatten() {
                let h = WorkloadHistory::decode(&bytes.0)
                    .with_context(|| format!("{name}/{key} does not decode"))?;
                let e = out.entry(key).or_default();
                e.0.merge(&h);
                e.1.push(name.clone());
            }
        }
        Ok(out)
    }
}

/// Deterministic pseudo-random peaks (xorshift), 64 MiB to about 4 GiB.
fn peak(seed: u64, hour: i64) -> f64 {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (hour as u64).wrapping_add(1);
    for _ in 0..3 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    64.0 * 1_048_576.0 * (1.0 + (x % 63) as f64 + (x >> 40) as f64 / 16_777_216.0)
}

/// A profile with one sample in each of `hours` consecutive hours from `first` (hours after
/// [`BASE`]).
pub fn profile(seed: u64, first: i64, hours: i64) -> UsageProfile {
    let mut p = UsageProfile::new();
    for h in first..first + hours {
        p.record((BASE + h * 3600 + 60) as f64, peak(seed, h));
    }
    p
}

/// The worst case for size: two full weeks of hourly peaks.
pub fn full_profile(seed: u64) -> UsageProfile {
    profile(seed, 0, 14 * 24)
}

pub fn workload(i: usize) -> WorkloadRef {
    WorkloadRef::new(
        format!("team-{}", i % 50),
        WorkloadKind::Deployment,
        format!("service-{i}"),
    )
}

pub fn key(i: usize) -> String {
    workload(i).key()
}

/// Runs `flush` until it succeeds (a failed flush keeps its data for the next one).
pub async fn flush_until_ok(
    writer: &rightsize_history::HistoryWriter,
) -> anyhow::Result<rightsize_history::FlushReport> {
    let mut last = None;
    for _ in 0..10 {
        match writer.flush_now().await {
            Ok(r) => return Ok(r),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or_else(|| anyhow::anyhow!("no flush"), anyhow::Error::from))
}

/// Waits (bounded) until `rx` has moved past `seen`; returns the new value.
pub async fn next_event(
    rx: &mut tokio::sync::watch::Receiver<u64>,
    seen: u64,
) -> anyhow::Result<u64> {
    tokio::time::timeout(WAIT, rx.wait_for(|n| *n > seen))
        .await
        .context("timed out waiting for a watch event")??;
    Ok(*rx.borrow())
}
