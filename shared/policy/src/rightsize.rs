//! Policy `rightsize`: ours.
//!
//! The memory a container needs is set by its *peaks*, not its average: a working set above the
//! limit is an OOM kill. So the policy sizes the limit from the workload's hourly peak history
//! ([`UsageProfile`]) and keeps it there with three views of that history, taking the largest:
//!
//! 1. **Recent envelope**: the highest hourly peak of the last `recent_hours` (24 h). Follows
//!    the current regime, and drops a day after a burst has passed.
//! 2. **Recurring bursts**: a high quantile (`quantile`, P97) of the hourly peaks of the last two
//!    weeks. A workload that bursts for more than ~3 % of its hours keeps room for the burst even
//!    on a quiet day; one that burst once does not pay for it for two weeks.
//! 3. **Weekly schedule**: the peaks of the same hour (±1 h, and the hour ahead) one and two weeks
//!    ago. Weekly batch jobs and backups come back at the same time: the limit rises before them
//!    and falls after, instead of holding a weekly peak all week.
//!
//! Headroom over that level grows with the *square root* of the level
//! (`burst_headroom_at_1gib` × √(level / 1 GiB), at least `margin`): the next jump of a small
//! container is large relative to its size (a 20 MiB service that bursts to 90 MiB), that of a
//! 30 GiB VM small relative to its size. A fixed percentage (VPA's 15 %) is too little for the
//! first and wasteful for the second; on the development traces the square-root law beat every
//! fixed percentage and every fixed byte count on both slack and OOM kills.
//!
//! With little evidence the estimate is inflated by a confidence factor
//! `min(confidence_cap, 1 + confidence_k * confidence_hours / replica_hours)` (the shape of
//! VPA's confidence bounds, on replica-hours observed: ten replicas watched for a day are more
//! evidence than one): a few minutes of a fresh workload must not shrink it to its idle size.
//!
//! In-place decisions: an OOM kill raises the limit at once to at least `oom_bump` × the peak that
//! killed it (the peak seen is a lower bound of what was wanted); a peak near the limit or a
//! target above it raises it at once (growth is never delayed); a target well below the limit
//! (`down_hysteresis`) lowers it, at most once per `down_interval_s` per pod, so resizes stay rare.
//! Every pod of the workload shares the profile, so one replica's burst or OOM raises the others
//! at their next sample.

use std::collections::HashMap;

use crate::policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};
use crate::profile::{UsageProfile, hour_of};

/// 1 MiB and 1 GiB in bytes.
const MIB: f64 = 1_048_576.0;
const GIB: f64 = 1024.0 * MIB;

/// Tunables of the `rightsize` policy. Defaults are the values tuned on the development traces
/// (see README "Policy results"); each is a behaviour, not a per-file constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RightsizeParams {
    /// Minimum relative headroom over the estimated peak (1.05 = 5 %).
    pub margin: f64,
    /// Hours of the recent envelope.
    pub recent_hours: i64,
    /// Quantile of two weeks of hourly peaks that must fit.
    pub quantile: f64,
    /// Weeks back looked at for the weekly schedule (0 turns it off).
    pub weekly_weeks: i64,
    /// Hours around the same hour of the week that count (timing jitter of weekly jobs).
    pub weekly_jitter_hours: i64,
    /// Hours ahead of the current one looked at, so the limit rises before a weekly burst.
    pub weekly_lookahead_hours: i64,
    /// Hours of history at which the confidence factor reaches `1 + confidence_k`.
    pub confidence_hours: f64,
    /// Weight of the confidence factor.
    pub confidence_k: f64,
    /// Upper bound of the confidence factor: the first hours of a workload would otherwise be
    /// sized at many times their peak for hours (a x13 factor after one hour).
    pub confidence_cap: f64,
    /// On an OOM kill the limit becomes at least this multiple of the peak that killed it.
    pub oom_bump: f64,
    /// A peak at or above this fraction of the limit raises the limit at once.
    pub grow_at: f64,
    /// The limit is lowered only when the target is at least this fraction below it.
    pub down_hysteresis: f64,
    /// Minimum seconds between a pod's start or last resize and a decrease.
    pub down_interval_s: f64,
    /// Burst headroom at a 1 GiB level (bytes); it scales with the square root of the level.
    pub burst_headroom_at_1gib: f64,
    /// Never size a container below this (bytes).
    pub floor_bytes: f64,
}

impl Default for RightsizeParams {
    fn default() -> Self {
        Self {
            margin: 1.05,
            recent_hours: 24,
            quantile: 0.97,
            weekly_weeks: 2,
            weekly_jitter_hours: 1,
            weekly_lookahead_hours: 1,
            confidence_hours: 24.0,
            confidence_k: 0.5,
            confidence_cap: 3.0,
            oom_bump: 1.5,
            grow_at: 0.9,
            down_hysteresis: 0.1,
            down_interval_s: 4.0 * 3600.0,
            burst_headroom_at_1gib: 344.0 * MIB,
            floor_bytes: 16.0 * MIB,
        }
    }
}

/// The limit `rightsize` wants for a workload at time `t`, with the view that set it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recommendation {
    /// Bytes of memory limit (the request follows the declared request/limit ratio).
    pub bytes: f64,
    /// Which view of the history decided.
    pub driver: Driver,
}

/// Which view of the history set a recommendation (shown in Events and metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    Recent,
    Quantile,
    Weekly,
    Floor,
}

impl Driver {
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Recent => "recent peaks",
            Driver::Quantile => "recurring bursts",
            Driver::Weekly => "weekly schedule",
            Driver::Floor => "floor",
        }
    }
}

/// The `rightsize` recommendation from a profile: pure, shared by the webhook (admission), the
/// controller and the evaluator. `None` when the profile holds no sample.
pub fn recommend(
    profile: &UsageProfile,
    params: &RightsizeParams,
    t: f64,
) -> Option<Recommendation> {
    if profile.hours_observed() == 0 {
        return None;
    }
    // Evidence is replica-hours (at least one per hour with data: a profile may come from a
    // writer that did not count replicas).
    let observed = profile.replica_hours().max(profile.hours_observed());
    let hour = hour_of(t);
    let recent = profile.max_over(hour, params.recent_hours).unwrap_or(0.0);
    let mut peaks: Vec<f64> = profile.hourly_peaks().collect();
    let quantile = if peaks.is_empty() {
        0.0
    } else {
        let rank = ((params.quantile * peaks.len() as f64) as usize).min(peaks.len() - 1);
        *peaks.select_nth_unstable_by(rank, f64::total_cmp).1
    };
    let mut weekly = 0.0_f64;
    for week in 1..=params.weekly_weeks {
        for offset in -params.weekly_jitter_hours..=params.weekly_lookahead_hours {
            if let Some(p) = profile.hour_peak(hour + offset - 168 * week) {
                weekly = weekly.max(p);
            }
        }
    }
    let (mut level, mut driver) = (recent, Driver::Recent);
    if quantile > level {
        (level, driver) = (quantile, Driver::Quantile);
    }
    if weekly > level {
        (level, driver) = (weekly, Driver::Weekly);
    }
    let confidence = (1.0 + params.confidence_k * params.confidence_hours / observed as f64)
        .min(params.confidence_cap);
    let scaled = level * confidence;
    let headroom = params.burst_headroom_at_1gib * (level / GIB).sqrt();
    let bytes = (scaled * params.margin).max(scaled + headroom);
    if bytes < params.floor_bytes {
        return Some(Recommendation {
            bytes: params.floor_bytes,
            driver: Driver::Floor,
        });
    }
    Some(Recommendation { bytes, driver })
}

/// Per-pod memory of the policy.
#[derive(Clone, Copy, Debug)]
struct PodState {
    /// When its allocation last changed (or it started).
    last_change: f64,
    /// Last hour in which this pod was counted as a replica of the profile.
    counted_hour: i64,
}

impl PodState {
    fn started(t: f64) -> Self {
        Self {
            last_change: t,
            counted_hour: i64::MIN,
        }
    }
}

/// The `rightsize` policy state of one workload container.
#[derive(Clone, Debug, Default)]
pub struct RightsizePolicy {
    params: RightsizeParams,
    profile: UsageProfile,
    pods: HashMap<PodId, PodState>,
    /// Recommendation of the current hour: it changes only when the hour does or an hourly
    /// peak grows, so most samples cost a lookup instead of a quantile over two weeks.
    cached: Option<(i64, Option<Recommendation>)>,
}

impl RightsizePolicy {
    pub fn new(params: RightsizeParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// Starts from a stored profile (controller restart, new controller leader).
    pub fn with_profile(params: RightsizeParams, profile: UsageProfile) -> Self {
        Self {
            params,
            profile,
            ..Self::default()
        }
    }

    /// The profile learned so far (what the history store persists).
    pub fn profile(&self) -> &UsageProfile {
        &self.profile
    }

    /// How many pods the policy keeps state for (admitted or resized, and not yet gone).
    pub fn tracked_pods(&self) -> usize {
        self.pods.len()
    }

    /// [`recommend`] for time `t`, cached per hour.
    fn recommendation(&mut self, t: f64) -> Option<Recommendation> {
        let hour = hour_of(t);
        match self.cached {
            Some((h, rec)) if h == hour => rec,
            _ => {
                let rec = recommend(&self.profile, &self.params, t);
                self.cached = Some((hour, rec));
                rec
            }
        }
    }

    fn decide(&mut self, obs: &Observation, limit: f64, reason: String) -> Option<Decision> {
        self.pods
            .entry(obs.pod)
            .or_insert_with(|| PodState::started(obs.t))
            .last_change = obs.t;
        Some(Decision {
            allocation: obs.current.with_limit(limit),
            reason,
        })
    }
}

impl SizingPolicy for RightsizePolicy {
    fn admit(&mut self, pod: PodId, declared: Allocation, t: f64) -> Admission {
        self.pods.insert(pod, PodState::started(t));
        match self.recommendation(t) {
            None => Admission::Declared,
            Some(rec) => Admission::Sized(Decision {
                allocation: declared.with_limit(rec.bytes),
                reason: format!("sized from history ({})", rec.driver.as_str()),
            }),
        }
    }

    fn observe(&mut self, obs: &Observation) -> Option<Decision> {
        let p = self.params;
        let hour = hour_of(obs.t);
        let state = self
            .pods
            .entry(obs.pod)
            .or_insert_with(|| PodState::started(obs.pod_start));
        let since = state.last_change;
        let first_sample_this_hour = state.counted_hour != hour;
        state.counted_hour = hour;
        let mut changed = self.profile.record(obs.t, obs.peak);
        if first_sample_this_hour {
            self.profile.count_replica(obs.t);
            changed = true;
        }
        if changed {
            self.cached = None;
        }
        if obs.oom {
            self.profile.record_oom(obs.t);
        }
        let rec = self.recommendation(obs.t)?;
        let limit = obs.current.limit;
        if obs.oom {
            let new = rec.bytes.max(obs.peak * p.oom_bump);
            return self.decide(obs, new, format!("OOM kill at {:.0} bytes", obs.peak));
        }
        if rec.bytes > limit || obs.peak >= p.grow_at * limit {
            let new = rec.bytes.max(obs.peak * p.margin);
            if new > limit {
                return self.decide(obs, new, format!("usage grew ({})", rec.driver.as_str()));
            }
        }
        if rec.bytes < limit * (1.0 - p.down_hysteresis) && obs.t - since >= p.down_interval_s {
            return self.decide(
                obs,
                rec.bytes,
                format!("usage fell ({})", rec.driver.as_str()),
            );
        }
        None
    }

    /// The pod's resize clock goes; the profile keeps what the pod taught it.
    fn pod_gone(&mut self, pod: PodId) {
        self.pods.remove(&pod);
    }
}
