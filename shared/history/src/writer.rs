//! [`HistoryWriter`]: batched, merge-on-conflict writes of the history shards.
//!
//! Updates are merged into a pending map (no I/O), and a flush writes each shard whose content
//! changed, once. [`HistoryWriter::flush_now`] (after an OOM kill, and at shutdown) writes every
//! changed shard; the periodic flush ([`HistoryWriter::flush_periodic`], every
//! `flush_interval`) writes only the shards holding a *material* change (a completed hour, late
//! data, an OOM kill, a new workload or container, the current hour's peak beyond
//! `HistoryConfig::material_tolerance`, layout work), so that the API load stays flat however
//! often samples raise the current hour's peak. Changes it leaves are kept and written with
//! their shard's next write: usually when the hour completes, at the latest by the next
//! `flush_now` or the shutdown flush.
//!
//! Every write is a compare-and-swap `PUT` with the resourceVersion last read or written;
//! on `409 Conflict` the shard is read again, what it holds is merged into the known state (profiles merge
//! by slot-wise maximum, so nothing is lost or doubled), and the write is retried after an
//! exponential delay with jitter. A `flush_now` that returns `Ok` has stored every update made
//! before it started (a periodic flush, what it chose to write); a flush that fails keeps what it
//! could not store and the next one tries again. The writer keeps the merged state of everything it
//! has seen, which is how a shard deleted by hand is recreated at the next flush. Only one writer
//! (the leader) is meant to run, but two at once are safe: they merge each other's data through the
//! conflicts.

mod io;
mod state;

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::{Api, Client};
use rightsize_policy::profile::UsageProfile;
use rightsize_policy::workload::WorkloadRef;

use crate::config::HistoryConfig;
use crate::entry::WorkloadHistory;
use crate::error::{FlushError, UpdateError};
use crate::layout;
use crate::metrics::HistoryMetrics;
use state::{Flush, WriterState};

/// What one successful flush did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlushReport {
    /// Shards written (created or replaced).
    pub shards_written: usize,
    /// Shard count after the flush.
    pub shard_count: u32,
    /// Workloads the writer knows after the flush.
    pub entries: usize,
    /// Bytes written, as the ConfigMap limit counts them.
    pub bytes_written: usize,
    /// Write conflicts met (each re-read, merged and retried).
    pub conflicts: usize,
    /// Workloads dropped because they were unseen for longer than the TTL.
    pub collected: usize,
    /// Changed workloads left unwritten (a periodic flush, nothing material in their shard):
    /// kept in memory for their shard's next write, `flush_now` or the shutdown flush.
    pub deferred: usize,
    pub duration: Duration,
}

/// Batched writer of the history shards. See the module documentation.
pub struct HistoryWriter {
    api: Api<ConfigMap>,
    config: HistoryConfig,
    metrics: HistoryMetrics,
    /// Updates since the last flush started; a plain mutex, never held across an await, so
    /// [`HistoryWriter::update`] never waits for a flush.
    pending: Mutex<HashMap<String, WorkloadHistory>>,
    /// Held for a whole flush: flushes do not overlap.
    state: tokio::sync::Mutex<WriterState>,
}

impl HistoryWriter {
    pub fn new(client: Client, config: HistoryConfig, metrics: HistoryMetrics) -> Self {
        Self {
            api: Api::namespaced(client, &config.namespace),
            config,
            metrics,
            pending: Mutex::new(HashMap::new()),
            state: tokio::sync::Mutex::new(WriterState::default()),
        }
    }

    /// Merges one container's profile into what the next flush writes.
    pub fn update(&self, workload: &WorkloadRef, container: &str, profile: &UsageProfile) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending
            .entry(workload.key())
            .or_default()
            .merge_container(container, profile);
    }

    /// Merges a whole entry under `key` (a [`WorkloadRef::key`]).
    pub fn update_entry(&self, key: &str, history: &WorkloadHistory) -> Result<(), UpdateError> {
        if !is_config_map_key(key) {
            return Err(UpdateError::InvalidKey {
                key: key.to_owned(),
            });
        }
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.entry(key.to_owned()).or_default().merge(history);
        Ok(())
    }

    /// Reads the stored shards (once per writer; flushes do it first anyway), so that
    /// [`HistoryWriter::known`] answers from what a previous writer stored.
    pub async fn load(&self) -> Result<usize, FlushError> {
        let mut st = self.state.lock().await;
        if !st.loaded {
            self.list_into(&mut st).await?;
        }
        Ok(st.known.len())
    }

    /// The merged history the writer knows for `key`: what it loaded, read on conflicts, and
    /// was given, flushed or not yet.
    pub async fn known(&self, key: &str) -> Option<WorkloadHistory> {
        let mut h = self.state.lock().await.known.get(key).cloned();
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pending.get(key) {
            h.get_or_insert_with(WorkloadHistory::new).merge(p);
        }
        h
    }

    /// Flushes now (after an OOM kill, or at shutdown): writes every shard holding a change,
    /// material or not, so that an `Ok` acknowledges every update made before the call. Waits
    /// for a flush in progress first.
    pub async fn flush_now(&self) -> Result<FlushReport, FlushError> {
        self.flush_with(Flush::All).await
    }

    /// What [`HistoryWriter::run`] does every `flush_interval`: writes only the shards that
    /// hold a material change (see `HistoryConfig::material_tolerance` for the trade-off);
    /// every key of a written shard is stored, the other changes stay in memory. Its `Ok`
    /// acknowledges nothing beyond what it wrote: use [`HistoryWriter::flush_now`] for that.
    pub async fn flush_periodic(&self) -> Result<FlushReport, FlushError> {
        self.flush_with(Flush::Material(self.config.material_tolerance))
            .await
    }

    async fn flush_with(&self, policy: Flush) -> Result<FlushReport, FlushError> {
        let start = Instant::now();
        let result = self.flush(start, policy).await;
        self.metrics
            .flushed(result.is_ok(), start.elapsed().as_secs_f64());
        if let Err(e) = &result {
            tracing::warn!(error = %e, "history flush failed; its data stays pending");
        }
        result
    }

    /// Flushes every `flush_interval` ([`HistoryWriter::flush_periodic`]: material changes
    /// only) until `shutdown` completes, then once more with [`HistoryWriter::flush_now`]
    /// (everything).
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        let mut tick = tokio::time::interval(self.config.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is immediate: nothing to write yet
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tick.tick() => { let _ = self.flush_periodic().await; }
            }
        }
        let _ = self.flush_now().await;
    }

    async fn flush(&self, start: Instant, policy: Flush) -> Result<FlushReport, FlushError> {
        let mut st = self.state.lock().await;
        let updates = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        st.merge_updates(updates);
        let cutoff = self.config.cutoff(self.config.clock.now());
        if st.loaded {
            self.sync_versions(&mut st, cutoff).await?;
        } else {
            self.list_into(&mut st).await?;
        }
        let collected = st.collect_garbage(cutoff);
        st.plan_count(self.config.target_shard_bytes)
            .ok_or(FlushError::GrowLayout {
                max: layout::MAX_SHARDS,
                target: self.config.target_shard_bytes,
            })?;
        let mut report = FlushReport {
            collected,
            ..FlushReport::default()
        };
        let mut done = BTreeSet::new();
        let mut failures = Vec::new();
        // Re-evaluated after each write: a conflict may reveal more to write (or a larger
        // count). Each shard is written at most once per flush.
        while let Some(index) = st
            .shards_to_write(policy)
            .into_iter()
            .find(|i| !done.contains(i))
        {
            done.insert(index);
            match self.write_shard(&mut st, index, cutoff, &mut report).await {
                Ok(bytes) => {
                    report.shards_written += 1;
                    report.bytes_written += bytes;
                }
                Err(e) => {
                    self.metrics.write_failure(e.metric_label());
                    tracing::warn!(error = %e, "history shard write failed");
                    failures.push(e);
                }
            }
        }
        report.shard_count = st.count;
        report.entries = st.known.len();
        report.deferred = st.deferred(policy);
        report.duration = start.elapsed();
        match failures.len() {
            0 => Ok(report),
            failed => Err(FlushError::WriteShards {
                failed,
                attempted: done.len(),
                first: Box::new(failures.swap_remove(0)),
            }),
        }
    }
}

use rightsize_policy::workload::is_config_map_key;
