//! Writers: concurrent flushes under injected conflicts, and restarts.

use std::collections::HashMap;

use rightsize_history::{HistoryConfig, HistoryWriter, WorkloadHistory};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_flushing_concurrently_under_conflicts_lose_no_update() -> anyhow::Result<()> {
    let env = start().await?;
    // A small target so that the layout also grows while both write.
    let config = HistoryConfig {
        target_shard_bytes: 3 * 1024,
        ..env.config()
    };
    let a = HistoryWriter::new(env.client.clone(), config.clone(), env.metrics.clone());
    let b = HistoryWriter::new(env.sim.client()?, config, env.metrics.clone());
    env.sim.faults().set_conflict_rate(0.3);
    let mut expected: HashMap<String, WorkloadHistory> = HashMap::new();
    for round in 0..5i64 {
        // Overlapping workloads (30..60 written by both), same hours, different peaks.
        for (writer, range, seed) in [(&a, 0..60, 1), (&b, 30..90, 2)] {
            for i in range {
                let p = profile(seed * 1000 + i as u64, round * 3, 3);
                writer.update(&workload(i), "app", &p);
                expected
                    .entry(key(i))
                    .or_default()
                    .merge_container("app", &p);
            }
        }
        let (ra, rb) = tokio::join!(flush_until_ok(&a), flush_until_ok(&b));
        ra?;
        rb?;
    }
    env.sim.faults().clear();
    let stored = env.stored().await?;
    assert_eq!(stored.len(), 90);
    for (k, want) in &expected {
        assert_eq!(&stored[k].0, want, "{k}: an update is missing");
    }
    assert!(
        env.metrics.write_conflicts() > 0,
        "no conflict was exercised"
    );
    assert!(env.shards().await?.len() > 1, "the layout did not grow");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_writer_resumes_from_the_stored_state() -> anyhow::Result<()> {
    let env = start().await?;
    let first = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    for i in 0..20 {
        first.update(&workload(i), "app", &profile(i as u64, 0, 10));
    }
    first.flush_now().await?;
    // Updated but never flushed: not acknowledged, so the restart may lose it.
    first.update(&workload(0), "app", &profile(99, 10, 1));
    drop(first);

    let second = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    assert_eq!(second.load().await?, 20);
    let mut want = WorkloadHistory::new();
    want.merge_container("app", &profile(0, 0, 10));
    assert_eq!(second.known(&key(0)).await, Some(want.clone()));
    // New data merges with the stored history instead of replacing it.
    let newer = profile(7, 10, 5);
    second.update(&workload(0), "app", &newer);
    second.update(&workload(0), "sidecar", &newer);
    second.flush_now().await?;
    want.merge_container("app", &newer);
    want.merge_container("sidecar", &newer);
    let stored = env.stored().await?;
    assert_eq!(stored[&key(0)].0, want);
    assert_eq!(
        stored[&key(0)].0.container("app").unwrap().hours_observed(),
        15
    );
    assert_eq!(stored.len(), 20);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_that_died_during_a_layout_growth_is_completed_by_the_next() -> anyhow::Result<()>
{
    let env = start().await?;
    let small = HistoryConfig {
        target_shard_bytes: 4 * 1024,
        max_attempts: 1,
        ..env.config()
    };
    let first = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    for i in 0..150 {
        first.update(&workload(i), "app", &profile(i as u64, 0, 4));
    }
    first.flush_now().await?;
    drop(first);
    // The growth to several shards fails part-way (half the requests fail, no retries).
    let dying = HistoryWriter::new(env.client.clone(), small.clone(), env.metrics.clone());
    env.sim.faults().set_error_rate(0.5);
    let _ = dying.flush_now().await;
    let _ = dying.flush_now().await;
    drop(dying);
    env.sim.faults().clear();

    let next = HistoryWriter::new(env.client.clone(), small, env.metrics.clone());
    next.update(&workload(150), "app", &profile(150, 0, 4));
    flush_until_ok(&next).await?;
    let stored = env.stored().await?;
    assert_eq!(stored.len(), 151);
    for i in 0..151 {
        let (h, shards) = &stored[&key(i)];
        assert_eq!(h.container("app"), Some(&profile(i as u64, 0, 4)), "{i}");
        assert_eq!(shards.len(), 1, "{} is in {shards:?}", key(i));
    }
    assert!(env.shards().await?.len() > 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_growth_left_half_done_is_finished_without_loss_or_duplicates() -> anyhow::Result<()> {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::PostParams;
    use rightsize_history::{layout, shard};

    let env = start().await?;
    let first = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    let entries: Vec<(String, WorkloadHistory)> = (0..150)
        .map(|i| {
            let mut h = WorkloadHistory::new();
            h.merge_container("app", &profile(i as u64, 0, 4));
            (key(i), h)
        })
        .collect();
    for (k, h) in &entries {
        first.update_entry(k, h)?;
    }
    first.flush_now().await?;
    drop(first);
    // What a writer growing 1 -> 4 shards leaves when it dies right after its first write (the
    // highest new shard): shard 3 holds its keys, shard 0 still holds everything.
    let moved = entries
        .iter()
        .filter(|(k, _)| layout::shard_of(k, 4) == 3)
        .map(|(k, h)| (k.clone(), shard::RawEntry::Binary(h.encode())));
    let cm: ConfigMap = shard::build_shard(3, 4, None, None, moved);
    env.config_maps()
        .create(&PostParams::default(), &cm)
        .await?;

    let next = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    let report = flush_until_ok(&next).await?;
    assert_eq!(report.shard_count, 4, "the recorded count is adopted");
    let stored = env.stored().await?;
    assert_eq!(stored.len(), 150);
    for (k, h) in &entries {
        let (got, shards) = &stored[k];
        assert_eq!(got, h, "{k}");
        assert_eq!(shards, &[layout::shard_name(layout::shard_of(k, 4))], "{k}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_loop_flushes_on_its_interval_and_once_more_at_shutdown() -> anyhow::Result<()>
{
    use std::sync::Arc;
    use std::time::Duration;

    let env = start().await?;
    let periodic = Arc::new(HistoryWriter::new(
        env.client.clone(),
        HistoryConfig {
            flush_interval: Duration::from_millis(20),
            ..env.config()
        },
        env.metrics.clone(),
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn({
        let w = Arc::clone(&periodic);
        async move { w.run(async move { stopped.await.unwrap_or(()) }).await }
    });
    periodic.update(&workload(1), "app", &profile(1, 0, 2));
    // Bounded wait for the loop's own flush (no flush_now here).
    tokio::time::timeout(WAIT, async {
        while !env.stored().await.is_ok_and(|s| s.contains_key(&key(1))) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await?;
    let _ = stop.send(());
    task.await?;

    // With an interval that never elapses, only the shutdown flush can store the update.
    let hourly = Arc::new(HistoryWriter::new(
        env.client.clone(),
        HistoryConfig {
            flush_interval: Duration::from_secs(3600),
            ..env.config()
        },
        env.metrics.clone(),
    ));
    hourly.update(&workload(2), "app", &profile(2, 0, 2));
    hourly.run(async {}).await;
    assert!(env.stored().await?.contains_key(&key(2)));
    Ok(())
}
