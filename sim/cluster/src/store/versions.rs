//! resourceVersion bookkeeping: where a store's versions start, the next version of a write,
//! the version an object carries, and waking watchers with the latest one. One global counter,
//! as etcd's revision: every write takes the next version under the store's lock.

use serde_json::Value;
use tokio::sync::watch;

use super::{Inner, Store};
use crate::util;

/// The first resourceVersion of a store: the start time in microseconds, so the versions of two
/// runs do not overlap and a client resuming from an earlier run's version is told it is too
/// old (HTTP 200, then an ERROR event with a 410 `Expired` Status) instead of waiting, unaware,
/// for a version this run has not reached. etcd's revisions are as opaque to clients.
pub(super) fn first_resource_version() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(2, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2))
        .max(2)
}

/// The resourceVersion an object carries, if any.
pub(super) fn rv_of(obj: &Value) -> Option<&str> {
    util::json_path(obj, "metadata.resourceVersion")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Store {
    /// Latest resourceVersion.
    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    /// Receiver woken after every write, carrying the latest version.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// The next version, taken by a write under the lock.
    pub(super) fn bump(inner: &mut Inner) -> u64 {
        inner.rv += 1;
        inner.rv
    }

    /// Wake every watcher with the latest version, after the lock is released.
    pub(super) fn publish(&self) {
        self.tx.send_replace(self.current_rv());
    }
}
