//! Damage: undecodable values, hand edits, deleted shards, and garbage collection.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use base64::Engine as _;
use k8s_openapi::ByteString;
use kube::api::{DeleteParams, PostParams};
use rightsize_history::{HistoryView, HistoryWriter, WorkloadHistory, layout};

use crate::common::*;

fn entry(seed: u64, first: i64, hours: i64) -> WorkloadHistory {
    let mut h = WorkloadHistory::new();
    h.merge_container("app", &profile(seed, first, hours));
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_values_are_skipped_and_counted_and_hand_edits_are_merged() -> anyhow::Result<()> {
    let env = start().await?;
    let writer = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    for i in 0..3 {
        writer.update_entry(&key(i), &entry(i as u64, 0, 4))?;
    }
    writer.flush_now().await?;
    let view = HistoryView::start(env.sim.client()?, NS, env.metrics.clone());
    tokio::time::timeout(WAIT, view.ready()).await?;
    let mut events = view.applied_events();
    let seen = *events.borrow();

    // A hand edit of shard 0: damaged values of every kind, a changed valid value, and a
    // valid value moved to `data` as base64 text (as `kubectl edit` shows binaryData).
    let api = env.config_maps();
    let name = layout::shard_name(0);
    let mut cm = api.get(&name).await?;
    let valid = entry(50, 5, 2).encode();
    let mut future = valid.clone();
    future[0] = 200;
    let mut truncated = valid.clone();
    truncated.truncate(valid.len() / 2);
    let binary = cm.binary_data.get_or_insert_with(BTreeMap::new);
    binary.insert("deploy.x.future".into(), ByteString(future.clone()));
    binary.insert("deploy.x.truncated".into(), ByteString(truncated));
    binary.insert(key(1), ByteString(entry(60, 8, 2).encode()));
    let data = cm.data.get_or_insert_with(BTreeMap::new);
    data.insert("deploy.x.b64".into(), "%%% not base64 %%%".into());
    let text = base64::engine::general_purpose::STANDARD.encode(&valid);
    data.insert("deploy.x.text".into(), text);
    api.replace(&name, &PostParams::default(), &cm).await?;

    next_event(&mut events, seen).await?;
    for i in [0, 2] {
        assert_eq!(view.get(&key(i)).as_deref(), Some(&entry(i as u64, 0, 4)));
    }
    assert_eq!(
        view.get(&key(1)).as_deref(),
        Some(&entry(60, 8, 2)),
        "the hand edit"
    );
    assert_eq!(view.get("deploy.x.text").as_deref(), Some(&entry(50, 5, 2)));
    for bad in ["deploy.x.future", "deploy.x.truncated", "deploy.x.b64"] {
        assert!(view.get(bad).is_none(), "{bad}");
    }
    assert_eq!(view.len(), 4);
    assert_eq!(env.metrics.decode_failures_for("version"), 1);
    assert_eq!(env.metrics.decode_failures_for("payload"), 1);
    assert_eq!(env.metrics.decode_failures_for("base64"), 1);

    // The writer, unaware of the edit, writes again: it merges the edit instead of undoing it,
    // moves the text value to binaryData, and keeps the values it cannot read.
    let newer = entry(0, 4, 1);
    writer.update_entry(&key(0), &newer)?;
    writer.flush_now().await?;
    let cm = api.get(&name).await?;
    let binary = cm.binary_data.clone().unwrap_or_default();
    let data = cm.data.clone().unwrap_or_default();
    let decode = |k: &str| WorkloadHistory::decode(&binary[k].0).unwrap();
    let mut want1 = entry(1, 0, 4);
    want1.merge(&entry(60, 8, 2));
    assert_eq!(decode(&key(1)), want1);
    let mut want0 = entry(0, 0, 4);
    want0.merge(&newer);
    assert_eq!(decode(&key(0)), want0);
    assert_eq!(decode("deploy.x.text"), entry(50, 5, 2));
    assert!(!data.contains_key("deploy.x.text"));
    assert_eq!(binary["deploy.x.future"].0, future, "kept verbatim");
    assert!(binary.contains_key("deploy.x.truncated"));
    assert_eq!(data["deploy.x.b64"], "%%% not base64 %%%");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_deleted_by_hand_is_recreated_at_the_next_flush() -> anyhow::Result<()> {
    let env = start().await?;
    let writer = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    for i in 0..20 {
        writer.update(&workload(i), "app", &profile(i as u64, 0, 3));
    }
    writer.flush_now().await?;
    let view = HistoryView::start(env.sim.client()?, NS, env.metrics.clone());
    tokio::time::timeout(WAIT, view.ready()).await?;
    assert_eq!(view.len(), 20);
    let mut events = view.applied_events();
    let seen = *events.borrow();

    env.config_maps()
        .delete(&layout::shard_name(0), &DeleteParams::default())
        .await?;
    let seen = next_event(&mut events, seen).await?;
    assert_eq!(view.len(), 0);
    // Nothing new to write, yet the flush notices the loss and rewrites it all from memory.
    let report = writer.flush_now().await?;
    assert_eq!(report.shards_written, 1);
    next_event(&mut events, seen).await?;
    assert_eq!(view.len(), 20);
    let stored = env.stored().await?;
    for i in 0..20 {
        assert_eq!(
            stored[&key(i)].0.container("app"),
            Some(&profile(i as u64, 0, 3))
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workloads_unseen_for_the_ttl_are_collected_at_flush() -> anyhow::Result<()> {
    let env = start().await?;
    let writer = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    // Last seen just under 14 days ago (profiles keep the hour of the last sample, and NOW is
    // not on an hour boundary), and an hour ago.
    writer.update(&workload(1), "app", &profile(1, 1, 1));
    writer.update(&workload(2), "app", &profile(2, 0, 14 * 24));
    writer.flush_now().await?;
    assert_eq!(env.stored().await?.len(), 2);

    env.now.fetch_add(3600, Ordering::Relaxed);
    let report = writer.flush_now().await?;
    assert_eq!(report.collected, 1);
    let stored = env.stored().await?;
    assert!(!stored.contains_key(&key(1)));
    assert!(stored.contains_key(&key(2)));
    // A restarted writer does not bring it back from a stale copy either.
    let fresh = HistoryWriter::new(env.client.clone(), env.config(), env.metrics.clone());
    assert_eq!(fresh.load().await?, 1);
    Ok(())
}
