//! One stored entry: the profiles of one workload's containers, and its binary encoding.
//!
//! An entry is the value of one ConfigMap key (the workload key). It is written as `binaryData`
//! because the 1 MiB ConfigMap limit counts *decoded* `binaryData` bytes but the raw length of
//! `data` strings (`ValidateConfigMap`, kubernetes-api-facts.md §4): base64 text in `data` would
//! hold a quarter less. The encoding is a small versioned envelope around the policy crate's own
//! versioned profile encoding, so either layer can evolve and an old reader refuses (and skips)
//! what it cannot read instead of misreading it:
//!
//! ```text
//! u8  ENTRY_VERSION
//! u16 container count (little endian)
//! per container, sorted by name:
//!     u8 name length, name bytes (a DNS-1123 label, at most 63 bytes)
//!     u16 profile length, UsageProfile::to_bytes()
//! ```
//!
//! Overhead is 3 bytes per entry plus 3 bytes and the name per container; a container with two
//! full weeks of hourly peaks (and replica counts) costs 875 bytes of profile.

use std::collections::BTreeMap;

use rightsize_policy::profile::{ProfileDecodeError, UsageProfile};
use thiserror::Error;

/// Version tag of the entry envelope; bump on any layout change (readers skip unknown ones).
pub const ENTRY_VERSION: u8 = 1;

/// Longest container name the envelope stores: a length byte. Kubernetes container names are
/// DNS-1123 labels, at most 63 characters, so this never truncates a real name.
const MAX_NAME_LEN: usize = u8::MAX as usize;

/// Why an entry could not be decoded. Each is skipped on its own (with a warning and a metric);
/// [`EntryDecodeError::metric_label`] names the failure in the decode-failures metric.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EntryDecodeError {
    #[error("entry is not valid base64: {0}")]
    Base64(String),
    #[error("entry is empty")]
    Empty,
    #[error("entry has unknown version {0} (this build reads version {ENTRY_VERSION})")]
    UnknownVersion(u8),
    #[error("entry is truncated at byte {0}")]
    Truncated(usize),
    #[error("entry has a container name that is empty, not UTF-8 or repeated")]
    BadContainerName,
    #[error("profile of container {container:?} cannot be decoded: {source}")]
    Profile {
        container: String,
        #[source]
        source: ProfileDecodeError,
    },
    #[error("entry has {0} bytes after its last container")]
    TrailingBytes(usize),
}

impl EntryDecodeError {
    /// Low-cardinality label for the decode-failures metric.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::Base64(_) => "base64",
            Self::UnknownVersion(_) => "version",
            Self::Profile {
                source: ProfileDecodeError::UnknownVersion(_),
                ..
            } => "profile_version",
            Self::Profile { .. } => "profile",
            Self::Empty | Self::Truncated(_) | Self::BadContainerName | Self::TrailingBytes(_) => {
                "payload"
            }
        }
    }
}

/// The history of one workload: a usage profile per container name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkloadHistory {
    containers: BTreeMap<String, UsageProfile>,
}

impl WorkloadHistory {
    pub fn new() -> Self {
        Self::default()
    }

    /// The profile of one container, if any was recorded.
    pub fn container(&self, name: &str) -> Option<&UsageProfile> {
        self.containers.get(name)
    }

    /// Containers and their profiles, by name.
    pub fn containers(&self) -> impl Iterator<Item = (&str, &UsageProfile)> {
        self.containers.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.containers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
    }

    /// Merges `profile` into the container's profile (creating it). Returns whether anything
    /// changed, so callers can tell new information from a replay.
    pub fn merge_container(&mut self, name: &str, profile: &UsageProfile) -> bool {
        match self.containers.get_mut(name) {
            Some(p) => {
                let before = p.clone();
                p.merge(profile);
                *p != before
            }
            None => {
                self.containers.insert(name.to_owned(), profile.clone());
                true
            }
        }
    }

    /// Merges every container of `other` (slot-wise maximum, see the policy crate): commutative,
    /// associative and idempotent, so re-merging after a write conflict never loses or doubles
    /// anything. Returns whether anything changed.
    pub fn merge(&mut self, other: &WorkloadHistory) -> bool {
        let mut changed = false;
        for (name, profile) in &other.containers {
            changed |= self.merge_container(name, profile);
        }
        changed
    }

    /// Whether `self` (what the writer knows) holds something material that `stored` (what it
    /// last stored for this workload) lacks: a container `stored` does not have, or a container
    /// whose profile [`UsageProfile::materially_differs`] from the stored one at `tolerance`.
    /// Decides which shards a periodic flush rewrites (see [`crate::HistoryConfig`]).
    pub fn materially_differs(&self, stored: &WorkloadHistory, tolerance: f64) -> bool {
        self.containers
            .iter()
            .any(|(name, profile)| match stored.containers.get(name) {
                Some(s) => profile.materially_differs(s, tolerance),
                None => true,
            })
    }

    /// Seconds of the newest sample or OOM kill of any container: what garbage collection ages.
    /// `None` for an entry that holds no observation at all.
    pub fn last_activity(&self) -> Option<i64> {
        self.containers
            .values()
            .flat_map(|p| [p.last_seen(), p.last_oom()])
            .flatten()
            .max()
    }

    /// The envelope described in the module documentation.
    pub fn encode(&self) -> Vec<u8> {
        let profiles: Vec<(&[u8], Vec<u8>)> = self
            .containers
            .iter()
            .filter(|(name, _)| !name.is_empty() && name.len() <= MAX_NAME_LEN)
            .map(|(name, p)| (name.as_bytes(), p.to_bytes()))
            .collect();
        let len = 3 + profiles
            .iter()
            .map(|(n, p)| 3 + n.len() + p.len())
            .sum::<usize>();
        let mut out = Vec::with_capacity(len);
        out.push(ENTRY_VERSION);
        out.extend_from_slice(&(profiles.len() as u16).to_le_bytes());
        for (name, bytes) in profiles {
            out.push(name.len() as u8);
            out.extend_from_slice(name);
            out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
            out.extend_from_slice(&bytes);
        }
        out
    }

    /// Decodes [`WorkloadHistory::encode`] output; anything else is a typed error.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryDecodeError> {
        let mut r = Reader { bytes, pos: 0 };
        let version = r.take(1).map_err(|_| EntryDecodeError::Empty)?[0];
        if version != ENTRY_VERSION {
            return Err(EntryDecodeError::UnknownVersion(version));
        }
        let count = r.u16()?;
        let mut containers = BTreeMap::new();
        for _ in 0..count {
            let name_len = usize::from(r.take(1)?[0]);
            let name = std::str::from_utf8(r.take(name_len)?)
                .map_err(|_| EntryDecodeError::BadContainerName)?;
            if name.is_empty() || containers.contains_key(name) {
                return Err(EntryDecodeError::BadContainerName);
            }
            let len = usize::from(r.u16()?);
            let profile = UsageProfile::from_bytes(r.take(len)?).map_err(|source| {
                EntryDecodeError::Profile {
                    container: name.to_owned(),
                    source,
                }
            })?;
            containers.insert(name.to_owned(), profile);
        }
        if r.pos != bytes.len() {
            return Err(EntryDecodeError::TrailingBytes(bytes.len() - r.pos));
        }
        Ok(Self { containers })
    }
}

/// Bounds-checked cursor over an entry.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EntryDecodeError> {
        let end = self.pos + n;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or(EntryDecodeError::Truncated(self.bytes.len()))?;
        self.pos = end;
        Ok(slice)
    }

    fn u16(&mut self) -> Result<u16, EntryDecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use rightsize_policy::seed::MIB;

    fn profile(seed: u32, hours: u32) -> UsageProfile {
        let mut p = UsageProfile::new();
        for h in 0..hours {
            let t = 1.7e9 + f64::from(h) * 3600.0;
            p.record(t, f64::from((h * 7919 + seed) % 5000 + 1) * MIB / 8.0);
        }
        p
    }

    fn two_containers() -> WorkloadHistory {
        let mut h = WorkloadHistory::new();
        h.merge_container("app", &profile(1, 400));
        h.merge_container("istio-proxy", &profile(2, 30));
        h
    }

    #[test]
    fn entries_round_trip() {
        let h = two_containers();
        assert_eq!(WorkloadHistory::decode(&h.encode()).unwrap(), h);
        let empty = WorkloadHistory::new();
        assert_eq!(WorkloadHistory::decode(&empty.encode()).unwrap(), empty);
    }

    #[test]
    fn a_full_two_container_entry_costs_under_two_kilobytes() {
        let mut h = WorkloadHistory::new();
        h.merge_container("app", &profile(1, 24 * 20));
        h.merge_container("sidecar", &profile(2, 24 * 20));
        let n = h.encode().len();
        // A full profile is 875 bytes: header, 336 hourly peaks, 336 replica counts (4 bits).
        assert_eq!(n, 3 + (3 + 3 + 875) + (3 + 7 + 875));
    }

    #[test]
    fn damaged_entries_are_typed_errors() {
        let bytes = two_containers().encode();
        let decode = WorkloadHistory::decode;
        assert_eq!(decode(&[]), Err(EntryDecodeError::Empty));
        let mut future = bytes.clone();
        future[0] = 7;
        assert_eq!(decode(&future), Err(EntryDecodeError::UnknownVersion(7)));
        for cut in [1, 2, 5, 40, bytes.len() - 1] {
            let err = decode(&bytes[..cut]).unwrap_err();
            assert!(
                matches!(
                    err,
                    EntryDecodeError::Truncated(_) | EntryDecodeError::Profile { .. }
                ),
                "cut at {cut}: {err:?}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(decode(&long), Err(EntryDecodeError::TrailingBytes(1)));
        // The first profile's version byte: after version, count, name length and "app", length.
        let mut inner = bytes;
        inner[1 + 2 + 1 + 3 + 2] = 99;
        let err = decode(&inner).unwrap_err();
        assert_eq!(err.metric_label(), "profile_version");
    }

    #[test]
    fn merge_reports_whether_anything_was_new() {
        let mut a = two_containers();
        assert!(!a.merge(&two_containers()), "replay changes nothing");
        let mut b = WorkloadHistory::new();
        let mut newer = UsageProfile::new();
        newer.record(1.7e9 + 500.0 * 3600.0, MIB);
        b.merge_container("app", &newer);
        assert!(a.merge(&b));
        assert!(a.last_activity().is_some());
        assert_eq!(WorkloadHistory::new().last_activity(), None);
    }

    #[test]
    fn a_new_container_or_a_material_profile_change_is_material() {
        let stored = two_containers();
        assert!(!stored.materially_differs(&stored.clone(), 0.1));
        let mut added = stored.clone();
        added.merge_container("sidecar", &profile(3, 1));
        assert!(added.materially_differs(&stored, 0.1));
        // A sub-tolerance rise of the newest hour's peak of one container is not material...
        let app = stored.container("app").unwrap().clone();
        let newest: f64 = 1.7e9 + 399.0 * 3600.0;
        let peak = app.hour_peak((newest / 3600.0).floor() as i64).unwrap();
        let mut small = app.clone();
        assert!(small.record(newest + 60.0, peak * 1.05));
        let mut grown = stored.clone();
        grown.merge_container("app", &small);
        assert_ne!(grown, stored);
        assert!(!grown.materially_differs(&stored, 0.1));
        // ...a new hour is.
        let mut next = app;
        next.record(newest + 3600.0, MIB);
        grown.merge_container("app", &next);
        assert!(grown.materially_differs(&stored, 0.1));
    }
}
