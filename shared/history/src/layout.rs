//! Where an entry lives: ConfigMap names, labels, and the shard of a workload key.
//!
//! Shards are `rightsize-history-0` … `rightsize-history-<n-1>`. A key's shard is the jump
//! consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm", 2014)
//! of a fixed 64-bit hash of the key over the shard count `n`. Jump hashing was chosen over
//! `hash mod n` because growing from `n` to `n + 1` shards moves only the keys that land in the
//! new shard (about 1/(n+1) of them) and nothing else, so the layout can grow one ConfigMap at a
//! time and stay as small as the data allows, instead of doubling.
//!
//! The count is recorded on every shard (annotation [`SHARD_COUNT_ANNOTATION`]) and only ever
//! grows, so the effective count is the largest one seen on any shard (or implied by the highest
//! shard name). Every hash here is computed by this file, not by `std`, so it is the same across
//! Rust versions, platforms and processes.

use std::collections::BTreeMap;

/// Name prefix of every shard ConfigMap.
pub const SHARD_PREFIX: &str = "rightsize-history-";
/// Label every rightsize object carries (DESIGN §2).
pub const PART_OF_LABEL: (&str, &str) = ("app.kubernetes.io/part-of", "rightsize");
/// Label that tells history shards from other rightsize ConfigMaps (the configuration one), so
/// that the view's watch carries nothing else.
pub const COMPONENT_LABEL: (&str, &str) = ("app.kubernetes.io/component", "history");
/// Shard count the writer used, recorded on every shard it writes.
pub const SHARD_COUNT_ANNOTATION: &str = "rightsize.dev/history-shards";
/// Upper bound of the shard count: 1,000 ConfigMaps of 900 KiB hold over 600,000 workloads of
/// two containers, far beyond one cluster; the bound stops a runaway growth loop.
pub const MAX_SHARDS: u32 = 1000;

/// The label selector of every history shard.
pub fn label_selector() -> String {
    format!(
        "{}={},{}={}",
        PART_OF_LABEL.0, PART_OF_LABEL.1, COMPONENT_LABEL.0, COMPONENT_LABEL.1
    )
}

/// The labels written on every shard.
pub fn shard_labels() -> BTreeMap<String, String> {
    [PART_OF_LABEL, COMPONENT_LABEL]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Name of shard `index`.
pub fn shard_name(index: u32) -> String {
    format!("{SHARD_PREFIX}{index}")
}

/// Index of a shard from its name; `None` for any other ConfigMap (even a labelled one).
pub fn shard_index(name: &str) -> Option<u32> {
    let digits = name.strip_prefix(SHARD_PREFIX)?;
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    digits.parse().ok().filter(|&i| i < MAX_SHARDS)
}

/// FNV-1a (64 bit) followed by the SplitMix64 finaliser: FNV is fixed and simple, the
/// finaliser spreads its weak low bits over the whole word before jump hashing.
pub fn key_hash(key: &str) -> u64 {
    let mut h = rightsize_policy::hash::fnv1a64(key.as_bytes());
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Jump consistent hash: the bucket in `0..buckets` of a 64-bit key (the paper's reference
/// algorithm, with its 64-bit linear congruential generator).
pub fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    let buckets = i64::from(buckets.max(1));
    let (mut b, mut j) = (-1i64, 0i64);
    while j < buckets {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as u32
}

/// The shard of `key` when there are `count` shards.
pub fn shard_of(key: &str, count: u32) -> u32 {
    jump_hash(key_hash(key), count)
}

/// The shard count a shard records, if any and sane.
pub fn recorded_count(annotations: Option<&BTreeMap<String, String>>) -> Option<u32> {
    annotations?
        .get(SHARD_COUNT_ANNOTATION)?
        .parse::<u32>()
        .ok()
        .filter(|&n| (1..=MAX_SHARDS).contains(&n))
}

/// Smallest count, not below `current`, for which no shard's total is over `target` bytes.
/// `sizes` are (key, encoded size) pairs; `fixed` are bytes per shard that do not move (entries
/// this build cannot decode, kept where they are). `None` if even [`MAX_SHARDS`] is not enough.
pub fn count_for(
    sizes: &[(u64, usize)],
    fixed: &BTreeMap<u32, usize>,
    current: u32,
    target: usize,
) -> Option<u32> {
    let mut count = current.max(1);
    loop {
        let mut totals = vec![0usize; count as usize];
        for (i, bytes) in fixed {
            if let Some(t) = totals.get_mut(*i as usize) {
                *t += bytes;
            }
        }
        for &(hash, size) in sizes {
            totals[jump_hash(hash, count) as usize] += size;
        }
        if totals.iter().all(|&t| t <= target) {
            return Some(count);
        }
        if count >= MAX_SHARDS {
            return None;
        }
        count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_names_round_trip_and_reject_lookalikes() {
        assert_eq!(shard_name(7), "rightsize-history-7");
        assert_eq!(shard_index("rightsize-history-7"), Some(7));
        assert_eq!(shard_index("rightsize-history-0"), Some(0));
        for other in [
            "rightsize-history-",
            "rightsize-history-07",
            "rightsize-history-x",
            "rightsize-config",
            "rightsize-history-99999",
        ] {
            assert_eq!(shard_index(other), None, "{other}");
        }
    }

    #[test]
    fn hashes_are_fixed_across_builds() {
        // Pinned (and checked against an independent implementation of the same formulas):
        // changing them would move stored entries to other shards.
        assert_eq!(key_hash("deploy.shop.cart"), 0x42fb_6307_7c0a_9ed7);
        assert_eq!(key_hash("sts.db.pg"), 0xe4e7_9fda_0001_7098);
        let at =
            |n| ["deploy.shop.cart", "sts.db.pg", "ds.kube-system.proxy"].map(|k| shard_of(k, n));
        assert_eq!(at(16), [13, 2, 5]);
        assert_eq!(at(9), [5, 2, 5]);
        assert_eq!(at(1), [0, 0, 0]);
        assert_eq!(jump_hash(256, 1024), 520);
        assert_eq!(jump_hash(0xdead_beef, 100), 87);
    }

    #[test]
    fn growing_by_one_moves_keys_only_into_the_new_shard() {
        let keys: Vec<String> = (0..5000)
            .map(|i| format!("deploy.ns{}.app{i}", i % 37))
            .collect();
        for n in 1..20 {
            let mut moved = 0;
            for k in &keys {
                let (a, b) = (shard_of(k, n), shard_of(k, n + 1));
                if a != b {
                    assert_eq!(b, n, "{k} moved from {a} to {b} going {n} -> {}", n + 1);
                    moved += 1;
                }
            }
            let expected = keys.len() as f64 / f64::from(n + 1);
            assert!(
                (moved as f64 - expected).abs() < expected * 0.25 + 30.0,
                "n={n}: moved {moved}, expected about {expected}"
            );
        }
    }

    #[test]
    fn count_grows_until_every_shard_is_under_target() {
        let sizes: Vec<(u64, usize)> = (0..1000)
            .map(|i| (key_hash(&format!("k{i}")), 1000))
            .collect();
        assert_eq!(count_for(&sizes, &BTreeMap::new(), 1, 2_000_000), Some(1));
        let n = count_for(&sizes, &BTreeMap::new(), 1, 300_000).unwrap();
        assert!((4..=5).contains(&n), "{n}");
        assert_eq!(count_for(&sizes, &BTreeMap::new(), 9, 300_000), Some(9));
        assert_eq!(count_for(&sizes, &BTreeMap::new(), 1, 10), None);
    }
}
