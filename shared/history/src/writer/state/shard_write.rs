//! Turning the writer's state into shard writes: which shards a flush writes (in the order the
//! module documentation of [`super`] explains), the compare-and-swap content of each, and what
//! a successful write makes clean. Separate from merging and reading, which never write.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ConfigMap;

use super::{Flush, ShardState, WriterState};
use crate::shard::{self, RawEntry};

/// A shard ready to be written, and what it contains.
pub(crate) struct ShardWrite {
    pub config_map: ConfigMap,
    /// Bytes as the 1 MiB limit counts them.
    pub bytes: usize,
    /// Keys homed in this shard; the write stores their known value.
    pub homed: Vec<String>,
    /// Dirty keys homed elsewhere, kept here until their home holds them.
    pub strays: Vec<String>,
    /// Undecodable values kept as they were.
    pub foreign: BTreeMap<String, RawEntry>,
}

impl ShardWrite {
    pub fn entries(&self) -> usize {
        self.homed.len() + self.strays.len() + self.foreign.len()
    }
}

impl WriterState {
    /// Shards that differ from what should be stored, highest index first (see module docs),
    /// and that `policy` says to write now. Shards at or above the count (made by hand, or by a
    /// writer that never recorded its count) are left alone: their entries were merged into
    /// the known state and are written to their homes, and readers merge the duplicates.
    pub fn shards_to_write(&self, policy: Flush) -> Vec<u32> {
        let mut out: BTreeSet<u32> = self
            .dirty
            .iter()
            .filter(|k| self.must_write(k, policy))
            .map(|k| self.home(k))
            .collect();
        for (index, s) in self.shards.range(..self.count) {
            let stale = s.present.iter().any(|k| {
                !self.known.contains_key(k) || self.home(k) != *index || s.text.contains(k)
            });
            let replaced = s
                .foreign
                .keys()
                .any(|k| self.known.contains_key(k) && self.home(k) == *index);
            if stale || replaced {
                out.insert(*index);
                // A dirty stray is dropped only once its home holds it: write the home too,
                // material or not, or this shard would be rewritten at every flush meanwhile.
                out.extend(
                    s.present
                        .iter()
                        .filter(|k| self.home(k) != *index && self.dirty.contains(*k))
                        .map(|k| self.home(k)),
                );
            }
        }
        out.into_iter().rev().collect()
    }

    /// The content shard `index` should have now, as a compare-and-swap write.
    pub fn build(&self, index: u32) -> ShardWrite {
        let state = self.shards.get(&index);
        let mut homed: Vec<String> = self
            .known
            .keys()
            .filter(|k| self.home(k) == index)
            .cloned()
            .collect();
        homed.sort_unstable();
        let mut strays = Vec::new();
        let mut foreign = BTreeMap::new();
        if let Some(s) = state {
            for key in &s.present {
                if self.home(key) != index
                    && self.dirty.contains(key)
                    && self.known.contains_key(key)
                {
                    strays.push(key.clone());
                }
            }
            for (key, raw) in &s.foreign {
                if !(self.known.contains_key(key) && self.home(key) == index) {
                    foreign.insert(key.clone(), raw.clone());
                }
            }
        }
        let entries: Vec<(String, RawEntry)> = homed
            .iter()
            .chain(&strays)
            .map(|k| (k.clone(), RawEntry::Binary(self.known[k].encode())))
            .chain(foreign.iter().map(|(k, r)| (k.clone(), r.clone())))
            .collect();
        let bytes = entries.iter().map(|(_, r)| r.size()).sum();
        let config_map = shard::build_shard(
            index,
            self.count,
            state.and_then(|s| s.meta.as_ref()),
            state.and_then(|s| s.resource_version.clone()),
            entries,
        );
        ShardWrite {
            config_map,
            bytes,
            homed,
            strays,
            foreign,
        }
    }

    /// Records a successful write of `index`; `stored` is the server's answer.
    pub fn written(&mut self, index: u32, write: ShardWrite, stored: &ConfigMap) {
        for key in &write.homed {
            self.dirty.remove(key);
            self.baseline.remove(key);
        }
        let present = write.homed.into_iter().chain(write.strays).collect();
        self.shards.insert(
            index,
            ShardState {
                resource_version: stored.metadata.resource_version.clone(),
                meta: Some(stored.metadata.clone()),
                present,
                text: BTreeSet::new(),
                foreign: write.foreign,
            },
        );
    }
}
