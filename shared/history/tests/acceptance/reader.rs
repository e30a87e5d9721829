//! The watch-backed view: readiness, freshness, and continuity while the layout grows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rightsize_history::{HistoryConfig, HistoryView, HistoryWriter};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_sees_a_write_within_one_watch_event() -> anyhow::Result<()> {
    let env = start().await?;
    let writer = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    writer.update(&workload(1), "app", &profile(1, 0, 3));
    writer.flush_now().await?;

    let view = HistoryView::start(env.sim.client()?, NS, env.metrics.clone());
    tokio::time::timeout(WAIT, view.ready()).await?;
    assert!(view.is_ready());
    assert_eq!(view.len(), 1);
    let mut events = view.applied_events();
    let seen = *events.borrow();

    let p = profile(2, 3, 2);
    writer.update(&workload(2), "app", &p);
    writer.update(&workload(1), "app", &p);
    let report = writer.flush_now().await?;
    assert_eq!(report.shards_written, 1);
    // The very next event carries it: no polling, no second event needed.
    next_event(&mut events, seen).await?;
    let two = view.get_workload(&workload(2)).expect("the new workload");
    assert_eq!(two.container("app"), Some(&p));
    let one = view.get(&key(1)).expect("the updated workload");
    assert_eq!(one.container("app").unwrap().hours_observed(), 5);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_find_every_entry_while_the_layout_grows() -> anyhow::Result<()> {
    let env = start().await?;
    let writer = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    for i in 0..400 {
        writer.update(&workload(i), "app", &profile(i as u64, 0, 6));
    }
    writer.flush_now().await?;
    drop(writer);
    let view = Arc::new(HistoryView::start(
        env.sim.client()?,
        NS,
        env.metrics.clone(),
    ));
    tokio::time::timeout(WAIT, view.ready()).await?;
    assert_eq!(view.len(), 400);

    // After every watch event during the growth, every entry must still be found.
    let lowest = Arc::new(AtomicUsize::new(usize::MAX));
    let mut events = view.applied_events();
    let checker = {
        let (view, lowest) = (Arc::clone(&view), Arc::clone(&lowest));
        tokio::spawn(async move {
            while events.changed().await.is_ok() {
                let found = (0..400).filter(|&i| view.get(&key(i)).is_some()).count();
                lowest.fetch_min(found, Ordering::Relaxed);
            }
        })
    };
    let growing = HistoryWriter::new(
        env.client.clone(),
        HistoryConfig {
            target_shard_bytes: 8 * 1024,
            ..env.config()
        },
        env.metrics.clone(),
    );
    let report = growing.flush_now().await?;
    assert!(report.shard_count >= 4, "{report:?}");
    // Wait for the view to have seen every shard write (bounded); the initial list was one
    // event, each write is one more.
    let shards = env.shards().await?.len();
    tokio::time::timeout(WAIT, async {
        let mut rx = view.applied_events();
        let _ = rx.wait_for(|n| *n > report.shards_written as u64).await;
    })
    .await?;
    checker.abort();
    assert_eq!(shards as u32, report.shard_count);
    assert_eq!(lowest.load(Ordering::Relaxed), 400, "an entry went missing");
    assert_eq!(view.len(), 400);
    let stored = env.stored().await?;
    assert!(
        stored.values().all(|(_, s)| s.len() == 1),
        "a duplicate was left"
    );
    Ok(())
}
