//! Cached watches of the cluster objects admission reads besides the history: LimitRanges (per
//! namespace) and Nodes (the largest allocatable). A kube-runtime reflector keeps each kind in
//! memory; after every change a value derived from the whole store (per-namespace LimitRange
//! constraints, the largest node) is recomputed once and published behind an `Arc`, so a review
//! reads it with one pointer clone: never an API call, never a scan on the request path
//! (DESIGN §2).

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, RwLock};

use futures_util::StreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;

/// A value derived from every object of one watched kind, replaced after each change.
pub struct Derived<T> {
    current: Arc<RwLock<Arc<T>>>,
    task: Option<JoinHandle<()>>,
}

impl<T> Derived<T> {
    /// A value that never changes (tests, benchmarks, a cluster without the kind).
    pub fn fixed(value: T) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(value))),
            task: None,
        }
    }

    /// The value as of the last change seen.
    pub fn get(&self) -> Arc<T> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }
}

impl<T> Drop for Derived<T> {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Watches every object of `api`'s kind and keeps `derive(all objects)` current. Until the first
/// list arrives (or while the kind cannot be listed) the value is `initial`: admission then
/// applies no such constraint, the same as in a cluster without any of these objects.
pub fn watch_derived<K, T>(
    api: Api<K>,
    what: &'static str,
    initial: T,
    derive: impl Fn(&Store<K>) -> T + Send + 'static,
) -> Derived<T>
where
    K: Resource + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone,
    T: Send + Sync + 'static,
{
    let current = Arc::new(RwLock::new(Arc::new(initial)));
    let (reader, writer) = reflector::store();
    let publish = Arc::clone(&current);
    let task = tokio::spawn(async move {
        let mut events = watcher(api, watcher::Config::default())
            .default_backoff()
            .reflect(writer)
            .boxed();
        let mut failing = false;
        while let Some(event) = events.next().await {
            match event {
                Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => {}
                Ok(_) => {
                    if failing {
                        tracing::info!(kind = what, "watch recovered");
                        failing = false;
                    }
                    let value = Arc::new(derive(&reader));
                    *publish.write().unwrap_or_else(|e| e.into_inner()) = value;
                }
                Err(e) => {
                    // Logged once per outage; the backoff retries and the last value stays.
                    if !failing {
                        tracing::warn!(kind = what, error = %e, "watch failed; retrying, last state kept");
                        failing = true;
                    }
                }
            }
        }
    });
    Derived {
        current,
        task: Some(task),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_value_is_what_get_returns() {
        let d = Derived::fixed(42u32);
        assert_eq!(*d.get(), 42);
    }
}
