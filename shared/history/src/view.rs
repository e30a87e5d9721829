//! [`HistoryView`]: the read side, for the webhook's admission path (and the controller).
//!
//! A kube-runtime watcher on the history shards (label selector, one namespace) feeds an
//! in-memory [`index::Index`]. Each ConfigMap change is decoded once, on the watcher task,
//! never on a lookup; a lookup is one hash-map read under a read lock and no API call. The index
//! holds every shard's entries regardless of the layout, merging duplicate keys, so a layout
//! growth in progress (or a writer with an older shard count) is invisible to readers.
//!
//! Readiness: the view answers `None` for everything until the watcher's first complete list
//! has been indexed; [`HistoryView::is_ready`] and [`HistoryView::ready`] say when that is, for
//! the webhook's `/readyz`. After a watch restart the previous index keeps answering until the
//! new list is complete, then is replaced at once.

mod index;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use rightsize_policy::workload::WorkloadRef;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::entry::WorkloadHistory;
use crate::layout;
use crate::metrics::HistoryMetrics;
use crate::shard;
use index::Index;

/// Watch-backed, read-only view of the history store. Dropping it stops the watch.
pub struct HistoryView {
    index: Arc<RwLock<Index>>,
    ready: watch::Receiver<bool>,
    applied: watch::Receiver<u64>,
    task: JoinHandle<()>,
}

impl HistoryView {
    /// Starts watching the shards in `namespace` on the current Tokio runtime.
    pub fn start(client: Client, namespace: &str, metrics: HistoryMetrics) -> Self {
        let api: Api<ConfigMap> = Api::namespaced(client, namespace);
        let index = Arc::new(RwLock::new(Index::default()));
        let (ready_tx, ready) = watch::channel(false);
        let (applied_tx, applied) = watch::channel(0u64);
        let task = tokio::spawn(run(api, Arc::clone(&index), metrics, ready_tx, applied_tx));
        Self {
            index,
            ready,
            applied,
            task,
        }
    }

    /// The history of the workload with key `key`, if stored and decodable.
    pub fn get(&self, key: &str) -> Option<Arc<WorkloadHistory>> {
        self.index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
    }

    /// The history of `workload`.
    pub fn get_workload(&self, workload: &WorkloadRef) -> Option<Arc<WorkloadHistory>> {
        self.get(&workload.key())
    }

    /// Workloads the view can answer for.
    pub fn len(&self) -> usize {
        self.index.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the first complete list has been indexed.
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Waits until the first complete list has been indexed.
    pub async fn ready(&self) {
        let mut rx = self.ready.clone();
        let _ = rx.wait_for(|r| *r).await;
    }

    /// A counter of watch events applied to the index (the initial list counts as one): lets a
    /// caller wait for the view to catch up with a write it made.
    pub fn applied_events(&self) -> watch::Receiver<u64> {
        self.applied.clone()
    }
}

impl Drop for HistoryView {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The watcher loop: decode outside the lock, then swap the result in.
async fn run(
    api: Api<ConfigMap>,
    index: Arc<RwLock<Index>>,
    metrics: HistoryMetrics,
    ready: watch::Sender<bool>,
    applied: watch::Sender<u64>,
) {
    let config = watcher::Config::default().labels(&layout::label_selector());
    let mut events = watcher::watcher(api, config).default_backoff().boxed();
    let mut initial: HashMap<String, HashMap<String, Arc<WorkloadHistory>>> = HashMap::new();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                // The backoff retries; the index keeps answering from the last state meanwhile.
                tracing::warn!(error = %e, "history watch failed; retrying");
                continue;
            }
        };
        match event {
            Event::Init => {
                initial.clear();
            }
            Event::InitApply(cm) => {
                if let Some((name, entries)) = decode(&cm, &metrics) {
                    initial.insert(name, entries);
                }
            }
            Event::InitDone => {
                let fresh = Index::reset(std::mem::take(&mut initial));
                metrics.set_view_entries(fresh.len());
                *index.write().unwrap_or_else(|e| e.into_inner()) = fresh;
                // Count the event before announcing readiness, so that a caller woken by
                // readiness reads a counter that already includes the initial list.
                applied.send_modify(|n| *n += 1);
                ready.send_replace(true);
            }
            Event::Apply(cm) => {
                if let Some((name, entries)) = decode(&cm, &metrics) {
                    let mut guard = index.write().unwrap_or_else(|e| e.into_inner());
                    guard.apply(&name, entries);
                    metrics.set_view_entries(guard.len());
                }
                applied.send_modify(|n| *n += 1);
            }
            Event::Delete(cm) => {
                if let Some(name) = cm.metadata.name.as_deref() {
                    let mut guard = index.write().unwrap_or_else(|e| e.into_inner());
                    guard.remove(name);
                    metrics.set_view_entries(guard.len());
                    metrics.remove_shard(name);
                }
                applied.send_modify(|n| *n += 1);
            }
        }
    }
}

/// Decodes a shard (skipping and counting bad entries); `None` for a labelled ConfigMap that is
/// not a shard.
fn decode(
    cm: &ConfigMap,
    metrics: &HistoryMetrics,
) -> Option<(String, HashMap<String, Arc<WorkloadHistory>>)> {
    let name = cm.metadata.name.clone()?;
    layout::shard_index(&name)?;
    let decoded = shard::decode_shard(cm);
    shard::report_failures(&decoded, metrics);
    metrics.set_shard(
        &name,
        decoded.entries.len() + decoded.failures.len(),
        decoded.bytes,
    );
    Some((name, index::entries_of(&decoded)))
}
