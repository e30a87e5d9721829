//! The object store: per storage key, objects by (namespace, name) as JSON, a global monotonically
//! increasing resourceVersion (as etcd's revision), and a bounded per-kind event history that
//! watches resume from. A watch asking for a version older than the retained history gets
//! `410 Expired`, which is how the real server behaves after etcd compaction.
//!
//! All writes happen under one mutex and never across an `.await`, so each write is atomic and
//! versions are strictly ordered. Watchers are woken through a `tokio::sync::watch` channel that
//! carries the latest version; they then read the history themselves, so a slow watcher never
//! blocks writers (it is expired instead, like a real watcher that falls too far behind).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::watch;

use crate::error::{ApiError, ApiResult};
use crate::resources::ResourceDef;
use crate::util;

/// Default number of events kept per kind for watch resumption. The real server keeps a watch
/// cache of ~100 events per resource by default (`--default-watch-cache-size`) and etcd history
/// beyond that; a few thousand is plenty for tests yet bounded for the 10,000-pod benchmark.
pub const DEFAULT_HISTORY: usize = 4096;

/// `(namespace, name)`; cluster-scoped objects use an empty namespace.
pub type Key = (String, String);

/// Watch event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One change, as kept in the history.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub rv: u64,
    pub kind: EventType,
    pub object: Arc<Value>,
    /// The object before a modification (lets selector-filtered watches turn a change that
    /// leaves the selection into DELETED, as the real watch cache does).
    pub prev: Option<Arc<Value>>,
}

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

/// The first resourceVersion of a store: the start time in microseconds, so the versions of two
/// runs do not overlap and a client resuming from an earlier run's version is told it is too
/// old (HTTP 200, then an ERROR event with a 410 `Expired` Status) instead of waiting, unaware,
/// for a version this run has not reached. etcd's revisions are as opaque to clients.
fn first_resource_version() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(2, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2))
        .max(2)
}

/// The shared object store.
pub struct Store {
    inner: Mutex<Inner>,
    tx: watch::Sender<u64>,
    history_limit: usize,
}

/// Answer of [`Store::events_since`] when the history no longer reaches back far enough.
#[derive(Debug)]
pub struct TooOld {
    pub oldest: u64,
}

fn key_of(obj: &Value) -> Key {
    (
        util::str_at(obj, "metadata.namespace").to_string(),
        util::str_at(obj, "metadata.name").to_string(),
    )
}

fn rv_of(obj: &Value) -> Option<&str> {
    util::json_path(obj, "metadata.resourceVersion")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Store {
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

    /// Latest resourceVersion.
    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    /// Receiver woken after every write, carrying the latest version.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

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

    fn record(&self, inner: &mut Inner, storage: &'static str, ev: StoredEvent) {
        let limit = self.history_limit;
        let kind = inner.kind_mut(storage);
        kind.history.push_back(ev);
        while kind.history.len() > limit {
            if let Some(old) = kind.history.pop_front() {
                kind.compacted = old.rv;
            }
        }
    }

    /// Store `obj` under `key` and record its watch event at the version just bumped to.
    fn put(
        &self,
        inner: &mut Inner,
        def: &'static ResourceDef,
        key: Key,
        obj: Value,
        kind: EventType,
        prev: Option<Arc<Value>>,
    ) -> Arc<Value> {
        let stored = Arc::new(obj);
        inner
            .kind_mut(def.storage)
            .objects
            .insert(key, stored.clone());
        let (rv, object) = (inner.rv, stored.clone());
        self.record(
            inner,
            def.storage,
            StoredEvent {
                rv,
                kind,
                object,
                prev,
            },
        );
        stored
    }

    fn bump(inner: &mut Inner) -> u64 {
        inner.rv += 1;
        inner.rv
    }

    /// Store a new object: assigns resourceVersion, uid, creationTimestamp and generation.
    pub fn create(&self, def: &'static ResourceDef, mut obj: Value) -> ApiResult<Arc<Value>> {
        let key = key_of(&obj);
        let stored = {
            let mut inner = self.lock();
            if inner
                .kinds
                .get(def.storage)
                .is_some_and(|k| k.objects.contains_key(&key))
            {
                return Err(ApiError::already_exists(def.group, def.plural, &key.1));
            }
            let rv = Self::bump(&mut inner);
            let meta = util::obj_entry(&mut obj, "metadata");
            meta["resourceVersion"] = Value::String(rv.to_string());
            // A uid fixed by the registry before storing (the Job strategy names it in its
            // generated selector) is kept; otherwise one is assigned here.
            if meta
                .get("uid")
                .is_none_or(|u| u.as_str().is_none_or(str::is_empty))
            {
                meta["uid"] = Value::String(util::new_uid());
            }
            meta["creationTimestamp"] = Value::String(util::now_rfc3339());
            if obj.get("spec").is_some() {
                obj["metadata"]["generation"] = Value::from(1);
            }
            self.put(&mut inner, def, key, obj, EventType::Added, None)
        };
        self.tx.send_replace(self.current_rv());
        Ok(stored)
    }

    /// Read-modify-write one object atomically. `f` receives the stored object and returns the
    /// new one. A `metadata.resourceVersion` in the result that differs from the stored one is a
    /// stale write: 409 Conflict. A result equal to the stored object is a no-op and keeps the
    /// version (as the real server does for no-op updates).
    pub fn update<F>(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        f: F,
    ) -> ApiResult<Arc<Value>>
    where
        F: FnOnce(&Value) -> ApiResult<Value>,
    {
        self.write(def, ns, name, true, f)
    }

    /// As [`Self::update`], for system components: spec changes they make (a pod binding)
    /// do not count as a new generation, as the binding subresource does not.
    pub fn update_system<F>(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        f: F,
    ) -> ApiResult<Arc<Value>>
    where
        F: FnOnce(&Value) -> ApiResult<Value>,
    {
        self.write(def, ns, name, false, f)
    }

    fn write<F>(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        bump_generation: bool,
        f: F,
    ) -> ApiResult<Arc<Value>>
    where
        F: FnOnce(&Value) -> ApiResult<Value>,
    {
        let key = (ns.to_string(), name.to_string());
        let result = {
            let mut inner = self.lock();
            let old = inner
                .kinds
                .get(def.storage)
                .and_then(|k| k.objects.get(&key))
                .cloned()
                .ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
            let mut new = f(&old)?;
            let old_rv = rv_of(&old).unwrap_or("").to_string();
            if let Some(rv) = rv_of(&new)
                && rv != old_rv
            {
                return Err(ApiError::conflict(def.group, def.plural, name));
            }
            // Identity and bookkeeping fields are owned by the server.
            for f in [
                "uid",
                "creationTimestamp",
                "name",
                "namespace",
                "generation",
                "resourceVersion",
            ] {
                match old["metadata"].get(f) {
                    Some(v) => new["metadata"][f] = v.clone(),
                    None => {
                        if let Some(m) = new["metadata"].as_object_mut() {
                            m.remove(f);
                        }
                    }
                }
            }
            if new == *old {
                return Ok(old);
            }
            if bump_generation
                && new.get("spec") != old.get("spec")
                && old["metadata"].get("generation").is_some()
            {
                let g = old["metadata"]["generation"].as_i64().unwrap_or(1);
                new["metadata"]["generation"] = Value::from(g + 1);
            }
            let rv = Self::bump(&mut inner);
            new["metadata"]["resourceVersion"] = Value::String(rv.to_string());
            self.put(&mut inner, def, key, new, EventType::Modified, Some(old))
        };
        self.tx.send_replace(self.current_rv());
        Ok(result)
    }

    /// Remove an object. `expected_rv` / `expected_uid` are DeleteOptions preconditions.
    pub fn delete(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        expected_rv: Option<&str>,
        expected_uid: Option<&str>,
    ) -> ApiResult<Arc<Value>> {
        let key = (ns.to_string(), name.to_string());
        let out = {
            let mut inner = self.lock();
            let kind = inner.kind_mut(def.storage);
            let old = kind
                .objects
                .get(&key)
                .cloned()
                .ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
            if expected_rv.is_some_and(|rv| Some(rv) != rv_of(&old)) {
                return Err(ApiError::conflict(def.group, def.plural, name));
            }
            if expected_uid.is_some_and(|u| u != util::str_at(&old, "metadata.uid")) {
                return Err(ApiError::conflict(def.group, def.plural, name));
            }
            kind.objects.remove(&key);
            let rv = Self::bump(&mut inner);
            let mut gone = (*old).clone();
            gone["metadata"]["resourceVersion"] = Value::String(rv.to_string());
            let gone = Arc::new(gone);
            self.record(
                &mut inner,
                def.storage,
                StoredEvent {
                    rv,
                    kind: EventType::Deleted,
                    object: gone.clone(),
                    prev: Some(old),
                },
            );
            gone
        };
        self.tx.send_replace(self.current_rv());
        Ok(out)
    }

    /// Events of one kind after version `since`, or [`TooOld`] if history no longer covers it.
    pub fn events_since(&self, def: &ResourceDef, since: u64) -> Result<Vec<StoredEvent>, TooOld> {
        let inner = self.lock();
        let Some(kind) = inner.kinds.get(def.storage) else {
            if since < inner.first_rv {
                return Err(TooOld {
                    oldest: inner.first_rv,
                });
            }
            return Ok(Vec::new());
        };
        if since < kind.compacted {
            return Err(TooOld {
                oldest: kind.compacted + 1,
            });
        }
        let start = kind.history.partition_point(|e| e.rv <= since);
        Ok(kind.history.iter().skip(start).cloned().collect())
    }

    /// Forget all history (fault injection: the next resume from an older version gets 410).
    pub fn compact_all(&self) {
        {
            let mut inner = self.lock();
            // Compaction happens at a new revision, so even a watcher that has seen the latest
            // event resumes from a version that is now too old.
            let rv = Self::bump(&mut inner);
            for kind in inner.kinds.values_mut() {
                kind.history.clear();
                kind.compacted = rv;
            }
        }
        self.tx.send_replace(self.current_rv());
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
