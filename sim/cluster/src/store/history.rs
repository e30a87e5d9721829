//! The per-kind event log that watches resume from: each write's event at its version, kept up
//! to the store's history limit, and the answer for a version the log no longer reaches
//! ([`TooOld`], which the watch turns into `410 Expired`, as the real server does after etcd
//! compaction). Separate from the objects so the retention rules live in one place.

use std::sync::Arc;

use serde_json::Value;

use super::{Inner, Store};
use crate::resources::ResourceDef;

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

/// Answer of [`Store::events_since`] when the history no longer reaches back far enough.
#[derive(Debug)]
pub struct TooOld {
    pub oldest: u64,
}

impl Store {
    /// Append `ev` to the history of `storage`, dropping (compacting) the oldest beyond the limit.
    pub(super) fn record(&self, inner: &mut Inner, storage: &'static str, ev: StoredEvent) {
        let limit = self.history_limit;
        let kind = inner.kind_mut(storage);
        kind.history.push_back(ev);
        while kind.history.len() > limit {
            if let Some(old) = kind.history.pop_front() {
                kind.compacted = old.rv;
            }
        }
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
        self.publish();
    }
}
