//! Fill benchmark of the history store: 5,000 workloads of two containers with two full weeks
//! of hourly peaks (the largest an entry gets), written to the simulated API server over HTTP.
//!
//! `cargo bench -p rightsize-history --bench fill` (release profile). Prints the ConfigMaps
//! used, bytes per workload, the flush times (first fill, a steady-state flush where every
//! workload changed, an idle flush), the view's initial load and its lookup time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rightsize_history::shard::stored_bytes;
use rightsize_history::{HistoryConfig, HistoryView, HistoryWriter};
use rightsize_policy::profile::UsageProfile;

#[path = "../tests/acceptance/common.rs"]
#[allow(dead_code)]
mod common;

use common::{NOW, NS, workload};

const WORKLOADS: usize = 5000;
const HOURS: i64 = 14 * 24;

fn full_profile(seed: u64, last_hour: i64) -> UsageProfile {
    let mut p = UsageProfile::new();
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for h in last_hour - HOURS + 1..=last_hour {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let peak = 64.0 * 1_048_576.0 * (1.0 + (x % 4096) as f64 / 64.0);
        p.record((h * 3600 + 60) as f64, peak);
    }
    p
}

fn fill(writer: &HistoryWriter, last_hour: i64) {
    for i in 0..WORKLOADS {
        let w = workload(i);
        writer.update(&w, "app", &full_profile(2 * i as u64, last_hour));
        writer.update(
            &w,
            "istio-proxy",
            &full_profile(2 * i as u64 + 1, last_hour),
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let env = common::start().await?;
    let config = HistoryConfig {
        clock: env.clock(),
        ..HistoryConfig::new(NS)
    };
    let writer = HistoryWriter::new(env.client.clone(), config, env.metrics.clone());
    let last_hour = NOW / 3600 - 1;

    fill(&writer, last_hour);
    let t = Instant::now();
    let first = writer.flush_now().await?;
    let first_flush = t.elapsed();

    // Steady state: every workload gained a sample (as each one does every metrics cycle).
    fill(&writer, last_hour + 1);
    let t = Instant::now();
    let steady = writer.flush_now().await?;
    let steady_flush = t.elapsed();

    let t = Instant::now();
    let idle = writer.flush_now().await?;
    let idle_flush = t.elapsed();

    let sizes: Vec<usize> = env.shards().await?.values().map(stored_bytes).collect();
    let total: usize = sizes.iter().sum();

    let t = Instant::now();
    let view = HistoryView::start(env.client.clone(), NS, env.metrics.clone());
    tokio::time::timeout(Duration::from_secs(60), view.ready()).await?;
    let view_load = t.elapsed();
    assert_eq!(view.len(), WORKLOADS);
    let keys: Vec<String> = (0..WORKLOADS).map(|i| workload(i).key()).collect();
    let lookups = 1_000_000;
    let t = Instant::now();
    for n in 0..lookups {
        black_box(view.get(&keys[n % WORKLOADS]));
    }
    let per_lookup = t.elapsed() / lookups as u32;

    println!("history store fill: {WORKLOADS} workloads x 2 containers, 14 days of hourly peaks");
    println!(
        "  ConfigMaps used        {} (largest {} bytes, smallest {} bytes, limit 1048576)",
        sizes.len(),
        sizes.iter().max().unwrap_or(&0),
        sizes.iter().min().unwrap_or(&0)
    );
    println!("  bytes per workload     {}", total / WORKLOADS);
    println!(
        "  first flush            {first_flush:.2?} ({} shards created, {} bytes)",
        first.shards_written, first.bytes_written
    );
    println!(
        "  steady-state flush     {steady_flush:.2?} ({} shards replaced)",
        steady.shards_written
    );
    println!(
        "  idle flush             {idle_flush:.2?} ({} shards written)",
        idle.shards_written
    );
    println!("  view initial load      {view_load:.2?}");
    println!("  view lookup            {per_lookup:.2?}");
    Ok(())
}
