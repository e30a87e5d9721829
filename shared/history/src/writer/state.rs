//! What a writer knows, free of I/O: the merged history of every workload it has seen, which of
//! them are not yet safely stored, and what each shard held when last read or written.
//!
//! The invariant everything else relies on: a key is *dirty* unless the value the writer knows
//! for it is stored in the key's home shard (under the current count). Hence:
//! - a shard write stores every known key homed there, then clears their dirty marks;
//! - a copy of a key in another shard (a *stray*: left by a layout growth, or written by a writer
//!   with an older count) is dropped only when the key is clean, because then its home holds a
//!   value at least as large (every value read was merged into what the writer knows);
//! - growing the count dirties exactly the keys that move (jump hashing: into the new shards).
//!
//! Which shards a flush writes depends on its [`Flush`] policy. [`Flush::All`] (`flush_now`, the
//! shutdown flush) writes the home shard of every dirty key. [`Flush::Material`] (the periodic
//! flush) writes only the homes of dirty keys that are *material*: the value known differs
//! materially from the *baseline*, the value stored at home when the key became dirty (kept
//! only for dirty keys; for a clean key it is the known value, by the invariant above). A dirty
//! key without a baseline (new, moved by a growth, missing from a shard deleted or edited by
//! hand) is always material, and so is a shard that must drop or rewrite entries (with the homes
//! of its dirty strays). Either way a written shard stores every key homed there, material or
//! not, and cleans them all.
//!
//! Shards are written in descending index order. Under jump hashing a key only ever moves to a
//! higher shard, so homes are written before the shards holding their strays, and one flush
//! completes a growth: new shards first, then the old ones without the moved keys.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::entry::WorkloadHistory;
use crate::layout;
use crate::shard::{DecodedShard, RawEntry};

mod shard_write;

/// Which dirty keys make a flush write their home shard (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Flush {
    /// Every dirty key: acknowledged flushes (`flush_now`) and the shutdown flush.
    All,
    /// Only keys that differ materially from their baseline at this relative tolerance of the
    /// current hour's peak; a tolerance of 0 or less makes every change material.
    Material(f64),
}

/// What the writer last saw of one shard.
#[derive(Debug, Default)]
pub(crate) struct ShardState {
    /// `None` while the shard is not known to exist (the next write creates it).
    pub resource_version: Option<String>,
    pub meta: Option<ObjectMeta>,
    /// Keys decoded from the shard, homed there or not.
    present: BTreeSet<String>,
    /// Keys stored as base64 text in `data` (a hand edit): rewritten into `binaryData`.
    text: BTreeSet<String>,
    /// Values this build cannot decode, kept as they are unless the writer has a value for
    /// that key homed in this shard (then the undecodable one is replaced).
    foreign: BTreeMap<String, RawEntry>,
}

#[derive(Debug)]
pub(crate) struct WriterState {
    /// Whether the stored shards have been listed once since start.
    pub loaded: bool,
    pub count: u32,
    pub known: HashMap<String, WorkloadHistory>,
    pub dirty: HashSet<String>,
    /// For dirty keys whose stored value at home is known: that value (module documentation).
    /// Always a subset of `dirty`.
    pub baseline: HashMap<String, WorkloadHistory>,
    pub shards: BTreeMap<u32, ShardState>,
}

impl Default for WriterState {
    fn default() -> Self {
        Self {
            loaded: false,
            count: 1,
            known: HashMap::new(),
            dirty: HashSet::new(),
            baseline: HashMap::new(),
            shards: BTreeMap::new(),
        }
    }
}

impl WriterState {
    pub fn home(&self, key: &str) -> u32 {
        layout::shard_of(key, self.count)
    }

    /// Merges updates from the caller; a key becomes dirty if its value changed.
    pub fn merge_updates(&mut self, updates: HashMap<String, WorkloadHistory>) {
        for (key, history) in updates {
            match self.known.get_mut(&key) {
                Some(h) => {
                    // A clean key's known value is what its home stores: the baseline.
                    let before = (!self.dirty.contains(&key)).then(|| h.clone());
                    if h.merge(&history) {
                        if let Some(before) = before {
                            self.baseline.insert(key.clone(), before);
                        }
                        self.dirty.insert(key);
                    }
                }
                None => {
                    self.known.insert(key.clone(), history);
                    self.baseline.remove(&key);
                    self.dirty.insert(key);
                }
            }
        }
    }

    /// Marks `key` dirty with no known stored value at home: material for any flush.
    fn dirty_unknown(&mut self, key: &str) {
        self.baseline.remove(key);
        self.dirty.insert(key.to_owned());
    }

    /// Whether a flush under `policy` must write the home of dirty `key`.
    fn must_write(&self, key: &str, policy: Flush) -> bool {
        match policy {
            Flush::All => true,
            Flush::Material(tolerance) if tolerance <= 0.0 || tolerance.is_nan() => true,
            Flush::Material(tolerance) => match (self.known.get(key), self.baseline.get(key)) {
                (Some(known), Some(stored)) => known.materially_differs(stored, tolerance),
                _ => true,
            },
        }
    }

    /// Dirty keys a flush under `policy` leaves unwritten (their homes have nothing material).
    pub fn deferred(&self, policy: Flush) -> usize {
        self.dirty
            .iter()
            .filter(|k| !self.must_write(k, policy))
            .count()
    }

    /// Takes in what shard `index` stores (after a list, or a re-read on conflict). Entries
    /// older than `cutoff` are not taken (garbage); the shard keeps listing them as present so
    /// that its next write drops them.
    pub fn absorb(&mut self, index: u32, shard: &DecodedShard, cutoff: i64) {
        if let Some(n) = shard.recorded_count {
            self.adopt_count(n);
        }
        let mut state = ShardState {
            resource_version: shard.resource_version.clone(),
            meta: Some(shard.meta.clone()),
            ..ShardState::default()
        };
        for (key, stored, raw) in &shard.entries {
            state.present.insert(key.clone());
            if matches!(raw, RawEntry::Text(_)) {
                state.text.insert(key.clone());
            }
            if stored.last_activity().is_none_or(|t| t < cutoff) {
                continue;
            }
            let at_home = self.home(key) == index;
            let was_clean = !self.dirty.contains(key);
            let (changed, new, before) = match self.known.get_mut(key) {
                Some(h) => {
                    let before = (!at_home && was_clean).then(|| h.clone());
                    (h.merge(stored), false, before)
                }
                None => {
                    self.known.insert(key.clone(), stored.clone());
                    (false, true, None)
                }
            };
            if at_home {
                // At home: clean exactly when what is known is what is stored; otherwise what
                // is stored is the baseline.
                if self.known.get(key) == Some(stored) {
                    self.dirty.remove(key);
                    self.baseline.remove(key);
                } else {
                    self.dirty.insert(key.clone());
                    self.baseline.insert(key.clone(), stored.clone());
                }
            } else if changed || new {
                // A stray that adds something: dirty until its home holds it. One that adds
                // nothing leaves the key as it was (if clean, its home already holds more).
                // A clean key's home holds what was known before: that is the baseline.
                // An already dirty key keeps its baseline; a new one has none.
                if let Some(before) = before {
                    self.baseline.insert(key.clone(), before);
                } else if new {
                    self.baseline.remove(key);
                }
                self.dirty.insert(key.clone());
            }
        }
        for (key, raw, _) in &shard.failures {
            state.foreign.insert(key.clone(), raw.clone());
        }
        // A known key homed here but missing (an entry deleted by hand) must be written back.
        let missing: Vec<String> = self
            .known
            .keys()
            .filter(|k| layout::shard_of(k, self.count) == index && !state.present.contains(*k))
            .cloned()
            .collect();
        for key in missing {
            self.dirty_unknown(&key);
        }
        self.shards.insert(index, state);
    }

    /// The shard was found missing: the next write creates it with everything known for it.
    pub fn forget(&mut self, index: u32) {
        self.shards.insert(index, ShardState::default());
        let count = self.count;
        let homed: Vec<String> = self
            .known
            .keys()
            .filter(|k| layout::shard_of(k, count) == index)
            .cloned()
            .collect();
        for key in homed {
            self.dirty_unknown(&key);
        }
    }

    /// Raises the shard count to `n` (never lowers it); the keys that move become dirty.
    pub fn adopt_count(&mut self, n: u32) {
        let n = n.min(layout::MAX_SHARDS);
        if n <= self.count {
            return;
        }
        let old = self.count;
        let moved: Vec<String> = self
            .known
            .keys()
            .filter(|k| {
                let h = layout::key_hash(k);
                layout::jump_hash(h, old) != layout::jump_hash(h, n)
            })
            .cloned()
            .collect();
        // Their new homes hold nothing of them yet.
        for key in moved {
            self.dirty_unknown(&key);
        }
        self.count = n;
    }

    /// Forgets entries whose newest activity is before `cutoff`; their shards drop them at
    /// their next write (they are still listed as present there).
    pub fn collect_garbage(&mut self, cutoff: i64) -> usize {
        let before = self.known.len();
        let (dirty, baseline) = (&mut self.dirty, &mut self.baseline);
        self.known.retain(|key, h| {
            let keep = h.last_activity().is_some_and(|t| t >= cutoff);
            if !keep {
                dirty.remove(key);
                baseline.remove(key);
            }
            keep
        });
        before - self.known.len()
    }

    /// Grows the count until every shard's entries fit in `target` bytes. `None` if no count
    /// up to [`layout::MAX_SHARDS`] does.
    pub fn plan_count(&mut self, target: usize) -> Option<u32> {
        let sizes: Vec<(u64, usize)> = self
            .known
            .iter()
            .map(|(k, h)| (layout::key_hash(k), h.encode().len()))
            .collect();
        let fixed: BTreeMap<u32, usize> = self
            .shards
            .iter()
            .map(|(i, s)| (*i, s.foreign.values().map(RawEntry::size).sum()))
            .collect();
        let n = layout::count_for(&sizes, &fixed, self.count, target)?;
        self.adopt_count(n);
        Some(n)
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
