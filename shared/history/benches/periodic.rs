//! Periodic-flush benchmark of the history store: how many shard writes (and bytes) the
//! `run` loop's periodic flush costs per simulated hour under a realistic sample stream, with
//! every change written (before: `material_tolerance = 0`) and with only material changes
//! written (after: the default 10 %).
//!
//! `cargo bench -p rightsize-history --bench periodic` (release profile). 5,000 workloads × 2
//! containers, each starting from two full weeks of hourly peaks (stored by an initial
//! `flush_now`, not counted), then sampled every 30 s for 2 simulated hours as the controller
//! does (record the sample, count the replica once per hour, hand the profile to the writer when
//! it changed), with `flush_periodic` (what `run` calls on each tick) every 60 s, against the
//! simulated API server over HTTP.
//!
//! Usage model per container: a level between 64 MiB and 4 GiB, a daily cycle (×0.6 to ×1.65,
//! random phase, so some containers rise while others fall) and mean-reverting noise of about
//! ±2 % (AR(1), 0.995 per sample). About a fifth of the samples change a profile, as on the
//! development traces.

use std::sync::atomic::Ordering;
use std::time::Instant;

use rightsize_history::config::DEFAULT_MATERIAL_TOLERANCE;
use rightsize_history::{HistoryConfig, HistoryWriter};
use rightsize_policy::profile::UsageProfile;
use rightsize_policy::workload::WorkloadRef;

#[path = "../tests/acceptance/common.rs"]
#[allow(dead_code)]
mod common;

use common::{NS, workload};

const WORKLOADS: usize = 5000;
const CONTAINERS: [&str; 2] = ["app", "istio-proxy"];
/// Start of the simulation: an hour boundary.
const START: i64 = 1_760_000_000 / 3600 * 3600;
const HOURS: i64 = 2;
const SAMPLE_SECS: i64 = 30;
const FLUSH_SECS: i64 = 60;
use rightsize_policy::seed::MIB;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly standard normal (sum of 4 uniforms, rescaled).
    fn normal(&mut self) -> f64 {
        ((0..4).map(|_| self.unit()).sum::<f64>() - 2.0) * 3f64.sqrt()
    }
}

/// One simulated container: the controller's profile and the usage process.
struct Container {
    workload: usize,
    name: &'static str,
    profile: UsageProfile,
    level: f64,
    phase: f64,
    noise: f64,
    counted_hour: i64,
}

impl Container {
    fn usage(&mut self, t: i64, rng: &mut Rng) -> f64 {
        self.noise = 0.995 * self.noise + 0.002 * rng.normal();
        let day = 2.0 * std::f64::consts::PI * t as f64 / 86_400.0;
        self.level * (0.5 * (day + self.phase).sin() + self.noise).exp()
    }
}

/// Every container, with two full weeks of hourly peaks before [`START`].
fn containers() -> Vec<Container> {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut out = Vec::with_capacity(WORKLOADS * CONTAINERS.len());
    for workload in 0..WORKLOADS {
        for name in CONTAINERS {
            let mut c = Container {
                workload,
                name,
                profile: UsageProfile::new(),
                level: 64.0 * MIB * (1.0 + 63.0 * rng.unit()),
                phase: 2.0 * std::f64::consts::PI * rng.unit(),
                noise: 0.0,
                counted_hour: i64::MIN,
            };
            for h in (START / 3600 - 14 * 24)..START / 3600 {
                let t = h * 3600 + 1800;
                let u = c.usage(t, &mut rng);
                c.profile.record(t as f64, u);
                c.profile.count_replica(t as f64);
            }
            out.push(c);
        }
    }
    out
}

#[derive(Default)]
struct Figures {
    samples: usize,
    changed: usize,
    flushes: usize,
    shard_writes: [usize; HOURS as usize],
    bytes: [usize; HOURS as usize],
    shards: u32,
    elapsed: f64,
}

async fn simulate(tolerance: f64) -> anyhow::Result<Figures> {
    let env = common::start().await?;
    env.now.store(START, Ordering::Relaxed);
    let config = HistoryConfig {
        material_tolerance: tolerance,
        clock: env.clock(),
        ..HistoryConfig::new(NS)
    };
    let writer = HistoryWriter::new(env.client.clone(), config, env.metrics.clone());
    let mut all = containers();
    let refs: Vec<WorkloadRef> = (0..WORKLOADS).map(workload).collect();
    for c in &all {
        writer.update(&refs[c.workload], c.name, &c.profile);
    }
    writer.flush_now().await?;

    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let mut fig = Figures::default();
    let started = Instant::now();
    let mut t = START;
    while t < START + HOURS * 3600 {
        for _ in 0..FLUSH_SECS / SAMPLE_SECS {
            let at = t + 15;
            for c in &mut all {
                let u = c.usage(at, &mut rng);
                let mut changed = c.profile.record(at as f64, u);
                let hour = at / 3600;
                if c.counted_hour != hour {
                    c.counted_hour = hour;
                    c.profile.count_replica(at as f64);
                    changed = true;
                }
                fig.samples += 1;
                if changed {
                    fig.changed += 1;
                    writer.update(&refs[c.workload], c.name, &c.profile);
                }
            }
            t += SAMPLE_SECS;
        }
        env.now.store(t, Ordering::Relaxed);
        let report = writer.flush_periodic().await?;
        let hour = ((t - 1 - START) / 3600) as usize;
        fig.flushes += 1;
        fig.shard_writes[hour] += report.shards_written;
        fig.bytes[hour] += report.bytes_written;
        fig.shards = report.shard_count;
    }
    fig.elapsed = started.elapsed().as_secs_f64();
    // Nothing is lost: the acknowledged flush at the end stores every change left in memory.
    writer.flush_now().await?;
    Ok(fig)
}

fn print(label: &str, f: &Figures) {
    let writes: usize = f.shard_writes.iter().sum();
    let bytes: usize = f.bytes.iter().sum();
    println!(
        "  {label}: {} shard writes/hour ({}), {:.1} MB/hour ({}), {} shards, {} flushes, \
         {:.1} s",
        writes / HOURS as usize,
        f.shard_writes
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(" + "),
        bytes as f64 / HOURS as f64 / 1e6,
        f.bytes
            .iter()
            .map(|b| format!("{:.1} MB", *b as f64 / 1e6))
            .collect::<Vec<_>>()
            .join(" + "),
        f.shards,
        f.flushes,
        f.elapsed
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let before = simulate(0.0).await?;
    let after = simulate(DEFAULT_MATERIAL_TOLERANCE).await?;
    println!(
        "history store periodic flush: {WORKLOADS} workloads x {} containers, a sample every \
         {SAMPLE_SECS} s for {HOURS} simulated hours, a periodic flush every {FLUSH_SECS} s",
        CONTAINERS.len()
    );
    println!(
        "  samples that changed a profile: {:.1} % of {}",
        100.0 * before.changed as f64 / before.samples as f64,
        before.samples
    );
    print("before (every change, tolerance 0)", &before);
    print(
        &format!("after (material only, tolerance {DEFAULT_MATERIAL_TOLERANCE})"),
        &after,
    );
    Ok(())
}
