//! The usage profile of one workload container: what rightsize remembers between pods.
//!
//! It is the state the history store persists and the webhook reads at admission, so it must stay
//! small whatever the history length, encode with a version tag, and merge: two replicas (or two
//! controller replicas after a leader change) that each saw part of the usage combine into the
//! profile one observer of everything would have built.
//!
//! Content: the maximum working set of every wall-clock hour of the last [`HISTORY_HOURS`] hours,
//! in a ring indexed by absolute hour number (so that profiles from different writers line up),
//! each maximum stored as a 16-bit logarithmic code (0.04 % resolution, always rounded up so a
//! stored peak is never below the real one). Hourly maxima are what the `rightsize` policy needs:
//! recent envelope, a high quantile over two weeks, and the same hours one and two weeks ago.
//! Beside each hourly maximum it keeps how many replicas were seen in that hour: evidence grows
//! with replica-hours, so ten replicas observed for a day say more than one (VPA counts samples
//! across a workload's containers for the same reason).
//! Merging is slot-wise maximum, which is commutative, associative and idempotent: replaying a
//! merge after a write conflict can never lose or double anything. (For replica counts, the
//! maximum under-counts when two writers saw different replicas in the same hour: the safe side,
//! as less evidence means more headroom.)

use thiserror::Error;

/// Hours of hourly maxima kept: two weeks, enough for weekly seasonality (DESIGN §5 traces hold
/// weekly batch peaks) and for a quantile with a few hundred points.
pub const HISTORY_HOURS: usize = 14 * 24;

/// Version tag of the binary encoding; bump on any layout change. Version 1 (no replica
/// counts) is still read, counting one replica in each hour with data.
pub const PROFILE_VERSION: u8 = 2;

/// Replica counts saturate here so that two fit in a byte: past 15 replicas in an hour the
/// confidence factor is already close to 1 after a few hours (15 replica-hours each hour).
pub const MAX_REPLICAS_PER_HOUR: u8 = 15;

/// Seconds in an hour.
const HOUR: f64 = 3600.0;

/// `ln(2^62)` spread over the non-zero codes: codes cover 0 B up to 4 EiB.
const CODE_STEP: f64 = 62.0 * std::f64::consts::LN_2 / (u16::MAX as f64 - 1.0);

/// Fixed header: version (1) + newest hour (8) + first seen (8) + last seen (8) + last OOM (8)
/// + slot count (2).
const HEADER_LEN: usize = 1 + 8 * 4 + 2;

/// Why a stored profile could not be decoded. The history store skips such an entry (with a
/// warning and a metric) instead of failing the whole shard.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProfileDecodeError {
    #[error("profile is empty")]
    Empty,
    #[error("profile has unknown version {0} (this build reads versions 1 to {PROFILE_VERSION})")]
    UnknownVersion(u8),
    #[error("profile is truncated: {len} bytes, at least {needed} needed")]
    Truncated { len: usize, needed: usize },
    #[error("profile claims {0} hourly slots, at most {HISTORY_HOURS} are kept")]
    TooManySlots(usize),
    #[error("profile has {0} bytes after its last slot")]
    TrailingBytes(usize),
}

/// Hourly peak history of one workload container. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageProfile {
    /// Absolute hour number (`floor(t / 3600)`) of the newest slot; `None` before any sample.
    newest_hour: Option<i64>,
    /// `slots[h mod HISTORY_HOURS]` holds the code of hour `h` for
    /// `newest_hour - HISTORY_HOURS < h <= newest_hour`; 0 means no sample in that hour.
    slots: Box<[u16; HISTORY_HOURS]>,
    /// Replicas seen in each hour of `slots`, saturating at [`MAX_REPLICAS_PER_HOUR`].
    replicas: Box<[u8; HISTORY_HOURS]>,
    /// Start (seconds) of the hours of the first and last sample ever recorded (garbage
    /// collection, diagnostics). Hour granularity on purpose: samples that do not raise their
    /// hour's peak leave the profile byte-for-byte unchanged, so the history store rewrites it
    /// a few times an hour rather than at every sample.
    first_seen: i64,
    last_seen: i64,
    /// Seconds of the last OOM kill recorded, `i64::MIN` if none.
    last_oom: i64,
}

impl Default for UsageProfile {
    fn default() -> Self {
        Self {
            newest_hour: None,
            slots: Box::new([0; HISTORY_HOURS]),
            replicas: Box::new([0; HISTORY_HOURS]),
            first_seen: i64::MAX,
            last_seen: i64::MIN,
            last_oom: i64::MIN,
        }
    }
}

/// Hour number of time `t` (seconds).
pub fn hour_of(t: f64) -> i64 {
    (t / HOUR).floor() as i64
}

/// Smallest code whose decoded value is at least `bytes` (never under-reports a peak).
fn encode(bytes: f64) -> u16 {
    if bytes.is_nan() || bytes <= 0.0 {
        return 1;
    }
    let mut code = ((bytes + 1.0).ln() / CODE_STEP).ceil() + 1.0;
    if code > f64::from(u16::MAX) {
        code = f64::from(u16::MAX);
    }
    let mut c = code as u16;
    // Guard against the last ulp of ln/exp rounding the wrong way.
    while c < u16::MAX && decode(c) < bytes {
        c += 1;
    }
    c
}

/// Bytes represented by a non-zero code.
fn decode(code: u16) -> f64 {
    debug_assert!(code > 0);
    (f64::from(code - 1) * CODE_STEP).exp() - 1.0
}

fn slot_index(hour: i64) -> usize {
    hour.rem_euclid(HISTORY_HOURS as i64) as usize
}

impl UsageProfile {
    /// An empty profile.
    pub fn new() -> Self {
        Self::default()
    }

    /// True until the first sample is recorded.
    pub fn is_empty(&self) -> bool {
        self.newest_hour.is_none()
    }

    /// Records one sample: `peak` bytes (maximum working set of the sample window) at `t`.
    /// Samples older than the kept window are ignored; samples may arrive out of order.
    /// Returns whether any hourly peak changed (callers cache what they derive from them).
    pub fn record(&mut self, t: f64, peak: f64) -> bool {
        let hour = hour_of(t);
        let moved = self.advance_to(hour);
        let Some(newest) = self.newest_hour else {
            return moved;
        };
        if hour <= newest - HISTORY_HOURS as i64 {
            return moved;
        }
        let secs = hour * HOUR as i64;
        self.first_seen = self.first_seen.min(secs);
        self.last_seen = self.last_seen.max(secs);
        let i = slot_index(hour);
        let code = encode(peak);
        if code > self.slots[i] {
            self.slots[i] = code;
            return true;
        }
        moved
    }

    /// Counts one more replica seen in the hour of `t` (call once per pod and hour, after
    /// [`UsageProfile::record`] of its sample). Ignored outside the kept window.
    pub fn count_replica(&mut self, t: f64) {
        let hour = hour_of(t);
        match self.newest_hour {
            Some(newest) if hour <= newest && hour > newest - HISTORY_HOURS as i64 => {
                let i = slot_index(hour);
                self.replicas[i] = (self.replicas[i] + 1).min(MAX_REPLICAS_PER_HOUR);
            }
            _ => {}
        }
    }

    /// Replica-hours of evidence: the sum over kept hours of the replicas seen in each.
    pub fn replica_hours(&self) -> usize {
        if self.newest_hour.is_none() {
            return 0;
        }
        self.replicas.iter().map(|&n| usize::from(n)).sum()
    }

    /// Records an OOM kill at `t`.
    pub fn record_oom(&mut self, t: f64) {
        self.last_oom = self.last_oom.max(t.floor() as i64);
    }

    /// Moves the ring forward so that `hour` is inside it, clearing the hours that fall out.
    /// Returns whether the window moved.
    fn advance_to(&mut self, hour: i64) -> bool {
        match self.newest_hour {
            None => {
                self.newest_hour = Some(hour);
                true
            }
            Some(newest) if hour > newest => {
                let gap = (hour - newest).min(HISTORY_HOURS as i64);
                for h in (hour - gap + 1)..=hour {
                    self.slots[slot_index(h)] = 0;
                    self.replicas[slot_index(h)] = 0;
                }
                self.newest_hour = Some(hour);
                true
            }
            Some(_) => false,
        }
    }

    /// Maximum working set recorded in `hour`, if any sample fell in it.
    pub fn hour_peak(&self, hour: i64) -> Option<f64> {
        let newest = self.newest_hour?;
        if hour > newest || hour <= newest - HISTORY_HOURS as i64 {
            return None;
        }
        match self.slots[slot_index(hour)] {
            0 => None,
            c => Some(decode(c)),
        }
    }

    /// Largest hourly peak over `hours` hours ending at `hour` (inclusive).
    pub fn max_over(&self, hour: i64, hours: i64) -> Option<f64> {
        ((hour - hours + 1)..=hour)
            .filter_map(|h| self.hour_peak(h))
            .reduce(f64::max)
    }

    /// Hourly peaks currently held, oldest first.
    pub fn hourly_peaks(&self) -> impl Iterator<Item = f64> + '_ {
        let newest = self.newest_hour.unwrap_or(0);
        let span = if self.newest_hour.is_some() {
            HISTORY_HOURS as i64
        } else {
            0
        };
        ((newest - span + 1)..=newest).filter_map(move |h| self.hour_peak(h))
    }

    /// Number of hours with at least one sample: how much evidence the profile holds.
    pub fn hours_observed(&self) -> usize {
        if self.newest_hour.is_none() {
            return 0;
        }
        self.slots.iter().filter(|&&c| c != 0).count()
    }

    /// Start (seconds) of the hour of the last sample recorded (for garbage collection of gone
    /// workloads).
    pub fn last_seen(&self) -> Option<i64> {
        (self.last_seen != i64::MIN).then_some(self.last_seen)
    }

    /// Start (seconds) of the hour of the first sample recorded.
    pub fn first_seen(&self) -> Option<i64> {
        (self.first_seen != i64::MAX).then_some(self.first_seen)
    }

    /// Seconds of the last OOM kill recorded.
    pub fn last_oom(&self) -> Option<i64> {
        (self.last_oom != i64::MIN).then_some(self.last_oom)
    }

    /// Combines `other` into `self`: the result is what one observer of both would have
    /// recorded (hour by hour maximum inside the newer window). Commutative and idempotent.
    pub fn merge(&mut self, other: &UsageProfile) {
        let Some(other_newest) = other.newest_hour else {
            return;
        };
        self.advance_to(other_newest);
        let newest = self.newest_hour.unwrap_or(other_newest);
        for h in (newest - HISTORY_HOURS as i64 + 1)..=newest {
            if h <= other_newest - HISTORY_HOURS as i64 || h > other_newest {
                continue;
            }
            let i = slot_index(h);
            self.slots[i] = self.slots[i].max(other.slots[i]);
            self.replicas[i] = self.replicas[i].max(other.replicas[i]);
        }
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.last_oom = self.last_oom.max(other.last_oom);
    }

    /// Whether `self` (what a writer knows) holds something material that `stored` (what it
    /// last stored) lacks: enough to justify rewriting the stored copy now rather than at the
    /// next material change. Pure; used by the history store to keep its periodic API load flat.
    ///
    /// Material, in order:
    /// - `stored` is empty and `self` is not;
    /// - `self` records a newer OOM kill (OOM kills are what sizing must never forget);
    /// - the newest hour differs: an hour completed, so the previous hour's final peak (and
    ///   replica count) must be persisted;
    /// - any hour older than the newest differs in peak code or replica count (late samples,
    ///   merges with another writer's data);
    /// - the newest hour's peak exceeds the stored one by more than `tolerance`, relative
    ///   (0.1: more than 10 % higher; a stored hour with no peak is exceeded by any peak).
    ///
    /// Not material: growth of the newest hour's peak within `tolerance`, more replicas counted
    /// in the newest hour, and first/last-seen changes that come with none of the above (they
    /// are hour-granular, so they move only with the hours compared above). Equal profiles are
    /// never material. A negative or NaN `tolerance` counts as 0.
    pub fn materially_differs(&self, stored: &UsageProfile, tolerance: f64) -> bool {
        if self.last_oom > stored.last_oom {
            return true;
        }
        let Some(newest) = self.newest_hour else {
            // Nothing sampled here: only an OOM kill (above) could matter; an empty `self`
            // against a non-empty `stored` is covered by "the newest hour differs".
            return stored.newest_hour.is_some();
        };
        if stored.newest_hour != Some(newest) {
            return true;
        }
        let current = slot_index(newest);
        let older_differ = (0..HISTORY_HOURS)
            .filter(|&i| i != current)
            .any(|i| self.slots[i] != stored.slots[i] || self.replicas[i] != stored.replicas[i]);
        if older_differ {
            return true;
        }
        let (mine, theirs) = (self.slots[current], stored.slots[current]);
        match (mine, theirs) {
            (0, _) => false,
            (_, 0) => true,
            _ => {
                let tolerance = if tolerance.is_nan() {
                    0.0
                } else {
                    tolerance.max(0.0)
                };
                decode(mine) > decode(theirs) * (1.0 + tolerance)
            }
        }
    }

    /// Versioned binary encoding: header, then the slots newest first with trailing empty
    /// slots dropped (a young workload costs a few bytes), then as many replica counts, two per
    /// byte (low nibble first). At most `HEADER_LEN + 2 * 336 + 168` = 875 bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let newest = self.newest_hour.unwrap_or(i64::MIN);
        let codes: Vec<u16> = match self.newest_hour {
            None => Vec::new(),
            Some(n) => {
                let mut v: Vec<u16> = (0..HISTORY_HOURS as i64)
                    .map(|back| self.slots[slot_index(n - back)])
                    .collect();
                while v.last() == Some(&0) {
                    v.pop();
                }
                v
            }
        };
        let mut out = Vec::with_capacity(HEADER_LEN + 2 * codes.len() + codes.len().div_ceil(2));
        out.push(PROFILE_VERSION);
        for field in [newest, self.first_seen, self.last_seen, self.last_oom] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        out.extend_from_slice(&(codes.len() as u16).to_le_bytes());
        for c in &codes {
            out.extend_from_slice(&c.to_le_bytes());
        }
        let count_at = |back: usize| self.replicas[slot_index(newest - back as i64)];
        for back in (0..codes.len()).step_by(2) {
            let high = if back + 1 < codes.len() {
                count_at(back + 1)
            } else {
                0
            };
            out.push(count_at(back) | (high << 4));
        }
        out
    }

    /// Decodes [`UsageProfile::to_bytes`] output; anything else is a typed error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProfileDecodeError> {
        let (&version, rest) = bytes.split_first().ok_or(ProfileDecodeError::Empty)?;
        if !(1..=PROFILE_VERSION).contains(&version) {
            return Err(ProfileDecodeError::UnknownVersion(version));
        }
        // Version 1 had no replica counts.
        let counts_len = |slots: usize| if version == 1 { 0 } else { slots.div_ceil(2) };
        if bytes.len() < HEADER_LEN {
            return Err(ProfileDecodeError::Truncated {
                len: bytes.len(),
                needed: HEADER_LEN,
            });
        }
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&rest[8 * i..8 * i + 8]);
            i64::from_le_bytes(b)
        };
        let (newest, first_seen, last_seen, last_oom) = (word(0), word(1), word(2), word(3));
        let count = usize::from(u16::from_le_bytes([rest[32], rest[33]]));
        if count > HISTORY_HOURS {
            return Err(ProfileDecodeError::TooManySlots(count));
        }
        let needed = HEADER_LEN + 2 * count + counts_len(count);
        if bytes.len() < needed {
            return Err(ProfileDecodeError::Truncated {
                len: bytes.len(),
                needed,
            });
        }
        if bytes.len() > needed {
            return Err(ProfileDecodeError::TrailingBytes(bytes.len() - needed));
        }
        let mut profile = UsageProfile {
            newest_hour: (newest != i64::MIN).then_some(newest),
            first_seen,
            last_seen,
            last_oom,
            ..UsageProfile::default()
        };
        let (codes, counts) = bytes[HEADER_LEN..].split_at(2 * count);
        for (back, chunk) in codes.chunks_exact(2).enumerate() {
            let code = u16::from_le_bytes([chunk[0], chunk[1]]);
            let i = slot_index(newest - back as i64);
            profile.slots[i] = code;
            profile.replicas[i] = match counts.get(back / 2) {
                Some(&pair) if back % 2 == 0 => pair & 0x0f,
                Some(&pair) => pair >> 4,
                None => u8::from(code != 0),
            };
        }
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::seed::MIB;

    #[test]
    fn codes_never_under_report_and_stay_within_a_tenth_of_a_percent() {
        for bytes in [0.0, 1.0, 1000.0, 100.0 * MIB, 3.3e9, 5.5e11, 2.0e15] {
            let back = decode(encode(bytes));
            assert!(back >= bytes, "{bytes} decoded as {back}");
            assert!(back <= bytes * 1.001 + 1.0, "{bytes} decoded as {back}");
        }
    }

    #[test]
    fn hourly_maximum_is_kept_per_wall_clock_hour() {
        let mut p = UsageProfile::new();
        p.record(7200.0, 10.0 * MIB);
        p.record(7300.0, 30.0 * MIB);
        p.record(10_800.0, 5.0 * MIB);
        assert!((p.hour_peak(2).unwrap() / (30.0 * MIB) - 1.0).abs() < 1e-3);
        assert!((p.hour_peak(3).unwrap() / (5.0 * MIB) - 1.0).abs() < 1e-3);
        assert_eq!(p.hour_peak(4), None);
        assert_eq!(p.hours_observed(), 2);
    }

    #[test]
    fn size_is_bounded_whatever_the_history_length() {
        let mut p = UsageProfile::new();
        for i in 0..(60 * 24 * 12) {
            p.record(f64::from(i) * 300.0, f64::from(i % 977) * MIB);
        }
        let bytes = p.to_bytes();
        assert_eq!(
            bytes.len(),
            HEADER_LEN + 2 * HISTORY_HOURS + HISTORY_HOURS / 2
        );
        assert_eq!(bytes.len(), 875);
        assert_eq!(p.hours_observed(), HISTORY_HOURS);
    }

    #[test]
    fn old_hours_fall_out_of_the_window() {
        let mut p = UsageProfile::new();
        p.record(0.0, 50.0 * MIB);
        p.record(HOUR * HISTORY_HOURS as f64, 1.0 * MIB);
        assert_eq!(p.hour_peak(0), None);
        assert_eq!(p.hours_observed(), 1);
        // A sample older than the window is ignored rather than resurrecting it.
        p.record(0.0, 50.0 * MIB);
        assert_eq!(p.hours_observed(), 1);
    }

    #[test]
    fn merge_of_two_replicas_equals_one_observer_of_both() {
        let (mut a, mut b, mut both) = (
            UsageProfile::new(),
            UsageProfile::new(),
            UsageProfile::new(),
        );
        for i in 0..500 {
            let t = f64::from(i) * 1800.0;
            let (pa, pb) = (f64::from(i % 13) * MIB, f64::from(i % 7) * 2.0 * MIB);
            a.record(t, pa);
            b.record(t + 60.0, pb);
            both.record(t, pa);
            both.record(t + 60.0, pb);
        }
        a.record_oom(1000.0);
        both.record_oom(1000.0);
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, both);
        assert_eq!(ba, both);
        let mut again = ab.clone();
        again.merge(&b);
        assert_eq!(again, ab, "merge is idempotent");
    }

    #[test]
    fn merge_with_a_stale_writer_keeps_the_newer_window() {
        let mut new = UsageProfile::new();
        new.record(HOUR * 1000.0, 8.0 * MIB);
        let mut stale = UsageProfile::new();
        stale.record(HOUR * 10.0, 99.0 * MIB);
        stale.record(HOUR * 900.0, 4.0 * MIB);
        new.merge(&stale);
        assert_eq!(new.hour_peak(10), None, "outside the window");
        assert!(new.hour_peak(900).is_some());
        assert!(new.hour_peak(1000).is_some());
    }

    #[test]
    fn evidence_counts_replica_hours_and_merges_by_maximum() {
        let mut a = UsageProfile::new();
        for pod in 0..3 {
            for i in 0..4 {
                let t = f64::from(i) * HOUR + f64::from(pod);
                a.record(t, MIB);
                a.count_replica(t);
            }
        }
        assert_eq!(a.hours_observed(), 4);
        assert_eq!(a.replica_hours(), 12);
        let mut b = UsageProfile::new();
        b.record(0.0, MIB);
        b.count_replica(0.0);
        b.record(10.0 * HOUR, MIB);
        b.count_replica(10.0 * HOUR);
        a.merge(&b);
        assert_eq!(a.replica_hours(), 13, "max per hour, then the new hour");
        // Counting outside the window is ignored.
        a.count_replica(-1000.0 * HOUR);
        assert_eq!(a.replica_hours(), 13);
    }

    #[test]
    fn samples_below_their_hours_peak_leave_the_profile_unchanged() {
        let mut p = UsageProfile::new();
        assert!(p.record(7200.0, 10.0 * MIB));
        let before = p.to_bytes();
        assert!(!p.record(7500.0, 5.0 * MIB));
        assert!(!p.record(10_799.0, 10.0 * MIB));
        assert_eq!(
            p.to_bytes(),
            before,
            "nothing for the history store to write"
        );
        assert_eq!(p.last_seen(), Some(7200));
        assert!(p.record(10_800.0, 1.0 * MIB), "a new hour is a change");
        assert_eq!(p.last_seen(), Some(10_800));
    }

    #[test]
    fn replica_counts_saturate_and_round_trip_two_per_byte() {
        let mut p = UsageProfile::new();
        for hour in 0..3 {
            let t = f64::from(hour) * HOUR;
            p.record(t, MIB);
            for _ in 0..(hour * 10 + 1) {
                p.count_replica(t);
            }
        }
        // 1, 11 and 21 (saturated at 15) replicas.
        assert_eq!(p.replica_hours(), 1 + 11 + 15);
        let bytes = p.to_bytes();
        assert_eq!(
            bytes.len(),
            HEADER_LEN + 2 * 3 + 2,
            "three counts take two bytes"
        );
        assert_eq!(UsageProfile::from_bytes(&bytes).unwrap(), p);
    }

    #[test]
    fn version_1_profiles_are_still_read_with_one_replica_per_hour() {
        let mut p = UsageProfile::new();
        p.record(0.0, MIB);
        p.record(HOUR, 2.0 * MIB);
        let v2 = p.to_bytes();
        // A version-1 encoding is the same without the trailing counts.
        let mut v1 = v2[..v2.len() - 1].to_vec();
        v1[0] = 1;
        let back = UsageProfile::from_bytes(&v1).unwrap();
        assert_eq!(back.hours_observed(), 2);
        assert_eq!(back.replica_hours(), 2);
        assert_eq!(back.hour_peak(1), p.hour_peak(1));
    }

    #[test]
    fn encoding_round_trips_and_is_versioned() {
        let mut p = UsageProfile::new();
        for i in 0..40 {
            p.record(1.7e9 + f64::from(i) * 3600.0, f64::from(i + 1) * 3.0 * MIB);
            p.count_replica(1.7e9 + f64::from(i) * 3600.0);
        }
        p.record_oom(1.7e9 + 500.0);
        let bytes = p.to_bytes();
        assert_eq!(UsageProfile::from_bytes(&bytes).unwrap(), p);
        assert_eq!(
            UsageProfile::from_bytes(&UsageProfile::new().to_bytes()).unwrap(),
            UsageProfile::new()
        );

        let mut future = bytes.clone();
        future[0] = 9;
        assert_eq!(
            UsageProfile::from_bytes(&future),
            Err(ProfileDecodeError::UnknownVersion(9))
        );
        assert!(matches!(
            UsageProfile::from_bytes(&bytes[..bytes.len() - 1]),
            Err(ProfileDecodeError::Truncated { .. })
        ));
        assert!(matches!(
            UsageProfile::from_bytes(&bytes[..5]),
            Err(ProfileDecodeError::Truncated { .. })
        ));
        assert_eq!(
            UsageProfile::from_bytes(&[]),
            Err(ProfileDecodeError::Empty)
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            UsageProfile::from_bytes(&long),
            Err(ProfileDecodeError::TrailingBytes(1))
        );
        let mut huge = bytes;
        huge[33] = 0xff;
        huge[34] = 0xff;
        assert_eq!(
            UsageProfile::from_bytes(&huge),
            Err(ProfileDecodeError::TooManySlots(65535))
        );
    }

    /// A profile with hourly peaks of `mib` MiB over `hours` hours, one replica each.
    fn steady(hours: i64, mib: f64) -> UsageProfile {
        let mut p = UsageProfile::new();
        for h in 0..hours {
            let t = (h as f64) * HOUR + 60.0;
            p.record(t, mib * MIB);
            p.count_replica(t);
        }
        p
    }

    #[test]
    fn equal_profiles_are_not_material_at_any_tolerance() {
        let p = steady(30, 100.0);
        for tolerance in [0.0, 0.1, 1.0, -1.0, f64::NAN] {
            assert!(!p.materially_differs(&p.clone(), tolerance), "{tolerance}");
        }
        assert!(!UsageProfile::new().materially_differs(&UsageProfile::new(), 0.1));
    }

    #[test]
    fn a_first_sample_is_material_against_an_empty_stored_profile() {
        let p = steady(1, 100.0);
        assert!(p.materially_differs(&UsageProfile::new(), 0.1));
    }

    #[test]
    fn a_newer_oom_kill_is_material_and_an_older_one_is_not() {
        let stored = steady(5, 100.0);
        let mut oom = stored.clone();
        oom.record_oom(4.0 * HOUR + 100.0);
        assert!(oom.materially_differs(&stored, 0.1));
        assert!(!stored.materially_differs(&oom, 0.1));
        // Even without any sample.
        let mut only_oom = UsageProfile::new();
        only_oom.record_oom(100.0);
        assert!(only_oom.materially_differs(&UsageProfile::new(), 0.1));
    }

    #[test]
    fn a_completed_hour_is_material() {
        let stored = steady(5, 100.0);
        let mut next = stored.clone();
        // A lower peak in a new hour: the previous hour is final and must be persisted.
        next.record(5.0 * HOUR + 60.0, 10.0 * MIB);
        assert!(next.materially_differs(&stored, 0.1));
        assert!(
            next.materially_differs(&stored, 1e9),
            "whatever the tolerance"
        );
    }

    #[test]
    fn an_older_hour_that_differs_is_material() {
        let stored = steady(5, 100.0);
        // Late data raising an older hour's peak, however slightly.
        let mut late = stored.clone();
        assert!(late.record(2.0 * HOUR + 60.0, 100.5 * MIB));
        assert!(late.materially_differs(&stored, 0.1));
        // A merge adding a replica to an older hour.
        let mut merged = stored.clone();
        merged.count_replica(HOUR + 60.0);
        assert!(merged.materially_differs(&stored, 0.1));
        // A merge filling an older hour that had no sample.
        let mut gap = UsageProfile::new();
        gap.record(60.0, MIB);
        gap.record(3.0 * HOUR + 60.0, MIB);
        let mut filled = gap.clone();
        filled.record(HOUR + 60.0, MIB);
        assert!(filled.materially_differs(&gap, 0.1));
    }

    #[test]
    fn current_hour_growth_is_material_only_beyond_the_tolerance() {
        let stored = steady(5, 100.0);
        let now = 4.0 * HOUR + 1800.0;
        let mut within = stored.clone();
        assert!(within.record(now, 109.0 * MIB), "a real change");
        assert!(!within.materially_differs(&stored, 0.1));
        assert!(within.materially_differs(&stored, 0.0), "any growth at 0");
        assert!(within.materially_differs(&stored, 0.05));
        let mut beyond = stored.clone();
        beyond.record(now, 111.0 * MIB);
        assert!(beyond.materially_differs(&stored, 0.1));
        // More replicas counted in the current hour are not material on their own.
        let mut counted = stored.clone();
        counted.count_replica(now);
        assert_ne!(counted, stored);
        assert!(!counted.materially_differs(&stored, 0.1));
    }
}
