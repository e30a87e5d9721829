//! The object store: per storage key, objects by (namespace, name) as JSON, a global monotonically
//! increasing resourceVersion (as etcd's revision), and a bounded per-kind event history that
//! watches resume from. A watch asking for a version older than the retained history gets
//! `410 Expired`, which is how the real server behaves after etcd compaction.
//!
//! All writes happen under one mutex and never across an `.await`, so each write is atomic and
//! versions are strictly ordered. Watchers are woken through a `tokio::sync::watch` channel that
//! carries the latest version; they then read the history themselves, so a slow watcher never
//! blocks writers (it is expired instead, like a real watcher that falls too far behind).
//!
//! This module owns the objects (per kind, by key) and the reads of them; `writes` is the write
//! path (create, update, delete under the lock), `history` the per-kind event log that watches
//! resume from, and `versions` the resourceVersion bookkeeping (where versions start, the next
//! one, waking watchers). Split so each of the three can be read and changed alone.

mod history;
mod versions;
mod writes;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::watch;

use crate::resources::ResourceDef;

pub use history::{EventType, StoredEvent};
use versions::first_resource_version;

/// Default number of events kept per kind for watch resumption. The real server keeps a watch
/// cache of ~100 events per resource by default (`--default-watch-cache-size`) and etcd history
/// beyond that; a few thousand is plenty for tests yet bounded for the 10,000-pod benchmark.
pub const DEFAULT_HISTORY: usize = 4096;

/// `(namespace, name)`; cluster-scoped objects use an empty namespace.
pub type Key = (String, String);

#[derive(Default)]
struct KindStore {
    objects: BTreeMap<Key, Arc<Value>>,
    history: VecDeque<StoredEvent>,
    /// Largest version dropped from `history`: watches from an older version are expired.
    compacted: u64,
}

struct Inner {
    rv: u64,
    /// The version the store started at: every version below it is from before this server
    /// started (another run's, or made up) and is answered like a compacted one.
    first_rv: u64,
    kinds: HashMap<&'static str, KindStore>,
}

impl Inner {
    /// The history of one kind; a kind first written now has seen nothing before `first_rv`.
    fn kind_mut(&mut self, storage: &'static str) -> &mut KindStore {
        let first_rv = self.first_rv;
        self.kinds.entry(storage).or_insert_with(|| KindStore {
            compacted: first_rv,
            ..KindStore::default()
        })
    }
}

/// The shared object store.
pub struct Store {
    inner: Mutex<Inner>,
    tx: watch::Sender<u64>,
    history_limit: usize,
}

impl Store {
    /// An empty store keeping `history_limit` events per kind (at least one).
    pub fn new(history_limit: usize) -> Self {
        // Versions start above 1 so "0" and "1" keep their special list meanings.
        let first_rv = first_resource_version();
        let (tx, _) = watch::channel(first_rv);
        Self {
            inner: Mutex::new(Inner {
                rv: first_rv,
                first_rv,
                kinds: HashMap::new(),
            }),
            tx,
            history_limit: history_limit.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock would poison it; the data is still consistent because
        // every write is a single insert, so recover rather than propagate the poison.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The object at `ns`/`name`, if stored.
    pub fn get(&self, def: &ResourceDef, ns: &str, name: &str) -> Option<Arc<Value>> {
        let inner = self.lock();
        inner
            .kinds
            .get(def.storage)?
            .objects
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    /// Objects (in one namespace, or all when `ns` is None) and the version of the snapshot.
    pub fn list(&self, def: &ResourceDef, ns: Option<&str>) -> (Vec<Arc<Value>>, u64) {
        let inner = self.lock();
        let Some(kind) = inner.kinds.get(def.storage) else {
            return (Vec::new(), inner.rv);
        };
        let items = match ns {
            Some(ns) => kind
                .objects
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| v.clone())
                .collect(),
            None => kind.objects.values().cloned().collect(),
        };
        (items, inner.rv)
    }

    /// Number of stored objects of a kind (benchmarks, tests).
    pub fn count(&self, def: &ResourceDef) -> usize {
        self.lock()
            .kinds
            .get(def.storage)
            .map_or(0, |k| k.objects.len())
    }
}

#[cfg(test)]
mod tests;
