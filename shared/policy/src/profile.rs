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

mod codec;
pub use codec::ProfileDecodeError;

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
pub(crate) const HOUR: f64 = 3600.0;

/// `ln(2^62)` spread over the non-zero codes: codes cover 0 B up to 4 EiB.
const CODE_STEP: f64 = 62.0 * std::f64::consts::LN_2 / (u16::MAX as f64 - 1.0);

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
}

#[cfg(test)]
mod tests;
