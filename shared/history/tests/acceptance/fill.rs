//! The worst-case fill: 5,000 workloads of two containers with two full weeks of hourly peaks.
//! (Figures for docs/BENCHMARKS.md come from `cargo bench --bench fill`, in release.)

use std::time::Instant;

use rightsize_history::config::{DEFAULT_TARGET_SHARD_BYTES, MAX_CONFIGMAP_BYTES};
use rightsize_history::shard::stored_bytes;
use rightsize_history::{HistoryView, HistoryWriter};

use crate::common::*;

const WORKLOADS: usize = 5000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_workloads_of_two_full_containers_fit_under_the_limit() -> anyhow::Result<()>
{
    let env = start().await?;
    let writer = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    for i in 0..WORKLOADS {
        writer.update(&workload(i), "app", &full_profile(2 * i as u64));
        writer.update(&workload(i), "istio-proxy", &full_profile(2 * i as u64 + 1));
    }
    let start = Instant::now();
    let report = writer.flush_now().await?;
    let flush = start.elapsed();

    let shards = env.shards().await?;
    let sizes: Vec<usize> = shards.values().map(stored_bytes).collect();
    for (name, cm) in &shards {
        let bytes = stored_bytes(cm);
        assert!(bytes <= MAX_CONFIGMAP_BYTES, "{name}: {bytes} bytes");
        assert!(bytes <= DEFAULT_TARGET_SHARD_BYTES, "{name}: {bytes} bytes");
    }
    let stored = env.stored().await?;
    assert_eq!(stored.len(), WORKLOADS);
    assert!(stored.values().all(|(h, s)| s.len() == 1 && h.len() == 2));
    assert_eq!(report.shard_count as usize, shards.len());
    // 5,000 × 1,769 bytes need at least 10 shards of 900 KiB; hashing costs at most two more.
    assert!(shards.len() <= 12, "{} shards", shards.len());
    let total: usize = sizes.iter().sum();
    eprintln!(
        "fill (debug build): {} ConfigMaps, {} bytes per workload, largest shard {} bytes, \
         flush {:.2?}",
        shards.len(),
        total / WORKLOADS,
        sizes.iter().max().unwrap_or(&0),
        flush
    );

    let view = HistoryView::start(env.sim.client()?, NS, env.metrics.clone());
    tokio::time::timeout(WAIT, view.ready()).await?;
    assert_eq!(view.len(), WORKLOADS);
    assert_eq!(
        view.get(&key(4321)).unwrap().container("app"),
        Some(&full_profile(2 * 4321))
    );
    Ok(())
}
