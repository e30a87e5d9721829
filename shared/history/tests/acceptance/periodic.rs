//! The periodic flush writes only shards holding a material change; `flush_now` writes all.

use std::collections::BTreeMap;

use rightsize_history::{HistoryConfig, HistoryWriter};
use rightsize_policy::profile::UsageProfile;

use crate::common::*;

const WORKLOADS: usize = 200;
/// The hour before last (after [`BASE`]): recent, far from the TTL.
const HOUR: i64 = 14 * 24 - 2;

/// One sample at `hour` (after [`BASE`]) of `peak` bytes, `offset` seconds into the hour.
fn sample(hour: i64, offset: i64, peak: f64) -> UsageProfile {
    let mut p = UsageProfile::new();
    let t = (BASE + hour * 3600 + offset) as f64;
    p.record(t, peak);
    p.count_replica(t);
    p
}

fn peak(i: usize) -> f64 {
    (100.0 + i as f64) * 1_048_576.0
}

/// The resourceVersion of every shard: any write changes one.
async fn versions(env: &Env) -> anyhow::Result<BTreeMap<String, String>> {
    Ok(env
        .shards()
        .await?
        .into_iter()
        .map(|(name, cm)| (name, cm.metadata.resource_version.unwrap_or_default()))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immaterial_changes_cause_no_periodic_write_until_an_hour_completes() -> anyhow::Result<()>
{
    let env = start().await?;
    // A small target, so that the workloads spread over several shards.
    let config = HistoryConfig {
        target_shard_bytes: 4 * 1024,
        ..env.config()
    };
    let writer = HistoryWriter::new(env.client.clone(), config, env.metrics.clone());
    for i in 0..WORKLOADS {
        writer.update(&workload(i), "app", &sample(HOUR, 60, peak(i)));
    }
    let first = writer.flush_now().await?;
    let shards = first.shard_count as usize;
    assert!(shards >= 3, "{shards} shards");
    let before = versions(&env).await?;
    assert_eq!(before.len(), shards);

    // Every workload's current-hour peak rises three times by 3 % (9.3 % in all): changes,
    // none material at the default 10 %.
    for round in 1..=3 {
        for i in 0..WORKLOADS {
            let grown = peak(i) * 1.03f64.powi(round);
            writer.update(
                &workload(i),
                "app",
                &sample(HOUR, 60 + 30 * i64::from(round), grown),
            );
        }
        let report = writer.flush_periodic().await?;
        assert_eq!(report.shards_written, 0, "round {round}: {report:?}");
        assert_eq!(report.deferred, WORKLOADS, "round {round}");
    }
    assert_eq!(versions(&env).await?, before, "no shard was written");
    let stored = env.stored().await?;
    assert_ne!(
        stored[&key(0)].0,
        writer.known(&key(0)).await.unwrap(),
        "the rises live in memory only"
    );

    // A new hour starts for every workload: the previous hour is final, every shard is written
    // once, with everything it holds (the rises of the previous hour included).
    for i in 0..WORKLOADS {
        writer.update(&workload(i), "app", &sample(HOUR + 1, 10, peak(i) / 2.0));
    }
    let report = writer.flush_periodic().await?;
    assert_eq!(report.shards_written, shards, "{report:?}");
    assert_eq!(report.deferred, 0);
    let after = versions(&env).await?;
    assert!(before.iter().all(|(name, rv)| after[name] != *rv));
    let stored = env.stored().await?;
    for i in 0..WORKLOADS {
        let known = writer.known(&key(i)).await.unwrap();
        assert_eq!(stored[&key(i)].0, known, "{}", key(i));
        let app = known.container("app").unwrap();
        assert!(app.hour_peak((BASE + HOUR * 3600) / 3600).unwrap() >= peak(i) * 1.03f64.powi(3));
    }

    // Immaterial again: the periodic flush waits, an acknowledged flush writes it all.
    for i in 0..WORKLOADS {
        writer.update(
            &workload(i),
            "app",
            &sample(HOUR + 1, 40, peak(i) / 2.0 * 1.05),
        );
    }
    let idle = versions(&env).await?;
    assert_eq!(writer.flush_periodic().await?.shards_written, 0);
    assert_eq!(versions(&env).await?, idle);
    let acked = writer.flush_now().await?;
    assert_eq!(acked.shards_written, shards);
    let stored = env.stored().await?;
    for i in 0..WORKLOADS {
        assert_eq!(
            Some(&stored[&key(i)].0),
            writer.known(&key(i)).await.as_ref(),
            "{}: an acknowledged update is stored",
            key(i)
        );
    }
    Ok(())
}
