//! The view's index, free of I/O: decoded entries per shard, and for each workload key the
//! merge of its copies (normally one; two while a layout growth moves it, or when a writer with
//! an older shard count wrote it to its old shard). Lookups read the merged map only.

use std::collections::HashMap;
use std::sync::Arc;

use crate::entry::WorkloadHistory;
use crate::shard::DecodedShard;

#[derive(Debug, Default)]
pub(crate) struct Index {
    /// ConfigMap name → key → decoded entry.
    by_shard: HashMap<String, HashMap<String, Arc<WorkloadHistory>>>,
    /// Key → merge of its copies across shards.
    merged: HashMap<String, Arc<WorkloadHistory>>,
}

/// The decoded entries of one shard, keyed.
pub(crate) fn entries_of(shard: &DecodedShard) -> HashMap<String, Arc<WorkloadHistory>> {
    shard
        .entries
        .iter()
        .map(|(k, h, _)| (k.clone(), Arc::new(h.clone())))
        .collect()
}

impl Index {
    pub fn get(&self, key: &str) -> Option<Arc<WorkloadHistory>> {
        self.merged.get(key).cloned()
    }

    pub fn len(&self) -> usize {
        self.merged.len()
    }

    /// Replaces everything (after the watch's initial list).
    pub fn reset(shards: HashMap<String, HashMap<String, Arc<WorkloadHistory>>>) -> Self {
        let mut index = Self {
            by_shard: shards,
            merged: HashMap::new(),
        };
        let keys: Vec<String> = index
            .by_shard
            .values()
            .flat_map(|m| m.keys().cloned())
            .collect();
        for key in keys {
            index.remerge(&key);
        }
        index
    }

    /// A shard was added or changed.
    pub fn apply(&mut self, name: &str, entries: HashMap<String, Arc<WorkloadHistory>>) {
        let old = self.by_shard.insert(name.to_owned(), entries);
        self.remerge_changed(name, old);
    }

    /// A shard was deleted.
    pub fn remove(&mut self, name: &str) {
        let old = self.by_shard.remove(name);
        self.remerge_changed(name, old);
    }

    fn remerge_changed(&mut self, name: &str, old: Option<HashMap<String, Arc<WorkloadHistory>>>) {
        let new_keys = self.by_shard.get(name).into_iter().flat_map(|m| m.keys());
        let keys: Vec<String> = old
            .iter()
            .flat_map(|m| m.keys())
            .chain(new_keys)
            .cloned()
            .collect();
        for key in keys {
            self.remerge(&key);
        }
    }

    /// Recomputes the merged entry of `key` from its copies (few shards: a short scan).
    fn remerge(&mut self, key: &str) {
        let mut copies = self.by_shard.values().filter_map(|m| m.get(key));
        let Some(first) = copies.next() else {
            self.merged.remove(key);
            return;
        };
        let mut merged = Arc::clone(first);
        for other in copies {
            Arc::make_mut(&mut merged).merge(other);
        }
        self.merged.insert(key.to_owned(), merged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rightsize_policy::profile::UsageProfile;

    fn entry(hour: u32, peak: f64) -> Arc<WorkloadHistory> {
        let mut p = UsageProfile::new();
        p.record(1.7e9 + f64::from(hour) * 3600.0, peak);
        let mut h = WorkloadHistory::new();
        h.merge_container("app", &p);
        Arc::new(h)
    }

    fn shard(entries: &[(&str, Arc<WorkloadHistory>)]) -> HashMap<String, Arc<WorkloadHistory>> {
        entries
            .iter()
            .map(|(k, h)| (k.to_string(), Arc::clone(h)))
            .collect()
    }

    #[test]
    fn copies_in_two_shards_are_merged_and_survive_either_removal() {
        let (a, b) = (entry(0, 1e8), entry(1, 2e8));
        let mut index = Index::default();
        index.apply(
            "rightsize-history-0",
            shard(&[("k", a.clone()), ("x", a.clone())]),
        );
        index.apply("rightsize-history-1", shard(&[("k", b.clone())]));
        let k = index.get("k").unwrap();
        let p = k.container("app").unwrap();
        assert!(p.hour_peak(p.last_seen().unwrap() / 3600 - 1).is_some());
        assert_eq!(p.hours_observed(), 2);
        assert_eq!(index.len(), 2);
        // The growth finishes: the old copy goes, the new one answers alone.
        index.apply("rightsize-history-0", shard(&[("x", a.clone())]));
        assert_eq!(index.get("k").unwrap(), b);
        index.remove("rightsize-history-1");
        assert!(index.get("k").is_none());
        assert!(index.get("x").is_some());
    }

    #[test]
    fn reset_replaces_everything() {
        let mut index = Index::default();
        index.apply("rightsize-history-0", shard(&[("old", entry(0, 1e6))]));
        let mut all = HashMap::new();
        all.insert(
            "rightsize-history-0".to_owned(),
            shard(&[("new", entry(0, 1e6))]),
        );
        index = Index::reset(all);
        assert!(index.get("old").is_none());
        assert!(index.get("new").is_some());
    }
}
