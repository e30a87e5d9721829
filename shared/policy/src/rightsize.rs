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
//! Headroom over that level grows less than in proportion to it
//! (`burst_headroom_at_1gib` × (level / 1 GiB)^0.6, at least `margin`): the next jump of a small
//! container is large relative to its size (a 20 MiB service that bursts to 90 MiB), that of a
//! 30 GiB VM small relative to its size. It is capped by a multiple of the workload's own spread
//! (how far its peaks rise above their median), so a steady batch task is sized tight while a
//! VM that has tripled its memory before keeps the room.
//!
//! The target is that level plus headroom, and young history widens the band within which a
//! size is left alone rather than inflating the target ([`estimate`] says how both are computed).
//!
//! In-place decisions (at most a couple a day, because each is an API call and a pod event):
//! - an OOM kill raises the limit at once to at least `oom_bump` × the peak that killed it (the
//!   peak seen is a lower bound of what was wanted);
//! - a target more than `grow_hysteresis` above the limit raises it at once to the target
//!   (growth is never delayed, but a target creeping up by a few percent an hour does not resize
//!   every hour);
//! - a peak at `grow_at` of the limit raises it at once to `grow_to_band` of the way from the
//!   target to the top of the confidence band: a limit the usage presses on may be what holds the
//!   usage down, so the step is as wide as the evidence is thin (about x1.8 the target in a
//!   workload's first hour, when no spread has been seen, a few percent after a day);
//! - a limit above the confidence band is lowered, at most once per `down_interval_s` per pod, to
//!   the target plus `shrink_to_band` of the band: little history never shrinks a pod to the
//!   bare target, and a pod inside the band is not touched.
//!
//! Admission applies the same band: a declared size between the target and the band's upper end
//! is kept, anything else gets the target. Every pod of the workload shares the profile, so one
//! replica's burst or OOM raises the others at their next sample.

use std::collections::HashMap;

use crate::policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};
use crate::profile::{UsageProfile, hour_of};

mod estimate;
pub use estimate::{Driver, Recommendation, recommend};

use crate::seed::MIB;

/// Tunables of the `rightsize` policy. Defaults are the values chosen on the development traces
/// (see README "Policy results"); each is a behaviour, not a per-file constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RightsizeParams {
    /// Minimum relative headroom over the estimated peak (1.05 = 5 %).
    pub margin: f64,
    /// Hours of the recent envelope.
    pub recent_hours: i64,
    /// Quantile of two weeks of hourly peaks that must fit.
    pub quantile: f64,
    /// Half-life (hours) of an hourly peak's weight in that quantile (0 = every hour weighs the
    /// same): bursts that stopped recurring fade in days instead of holding for two weeks.
    pub quantile_half_life_hours: f64,
    /// Weeks back looked at for the weekly schedule (0 turns it off).
    pub weekly_weeks: i64,
    /// Hours around the same hour of the week that count (timing jitter of weekly jobs).
    pub weekly_jitter_hours: i64,
    /// Hours ahead of the current one looked at, so the limit rises before a weekly burst.
    pub weekly_lookahead_hours: i64,
    /// Hours of history at which the confidence band is `1 + confidence_k` times the target.
    pub confidence_hours: f64,
    /// Width of the confidence band (0 = no band: every size is pulled to the target).
    pub confidence_k: f64,
    /// Upper bound of the band, as a multiple of the target (the band is infinite without
    /// history; this keeps a first hour from leaving a pod at 100 times its peak).
    pub confidence_cap: f64,
    /// On an OOM kill the limit becomes at least this multiple of the peak that killed it.
    pub oom_bump: f64,
    /// A peak at or above this fraction of the limit raises the limit at once.
    pub grow_at: f64,
    /// A target more than this fraction above the limit raises the limit at once.
    pub grow_hysteresis: f64,
    /// The limit is lowered only when the target is at least this fraction below it.
    pub down_hysteresis: f64,
    /// Minimum seconds between a pod's start or last resize and a decrease.
    pub down_interval_s: f64,
    /// Where a decrease lands inside the confidence band: 0 = the target, 1 = the band's top.
    pub shrink_to_band: f64,
    /// Where a growth triggered by a peak near the limit lands inside the confidence band:
    /// 0 = the target, 1 = the band's top.
    pub grow_to_band: f64,
    /// Burst headroom at a 1 GiB level (bytes); it scales with level^`burst_exponent`.
    pub burst_headroom_at_1gib: f64,
    /// Exponent of the burst-headroom law (0.5 would be the square root of the level).
    pub burst_exponent: f64,
    /// Headroom is at most this multiple of the workload's spread (level − median hourly peak).
    pub burst_spread_factor: f64,
    /// Never size a container below this (bytes).
    pub floor_bytes: f64,
}

impl Default for RightsizeParams {
    /// The `DEFAULT_RIGHTSIZE_*` constants of [`crate::config`] (one source for each default).
    fn default() -> Self {
        use crate::config as d;
        Self {
            margin: d::DEFAULT_RIGHTSIZE_MARGIN,
            recent_hours: d::DEFAULT_RIGHTSIZE_RECENT_HOURS,
            quantile: d::DEFAULT_RIGHTSIZE_QUANTILE,
            quantile_half_life_hours: d::DEFAULT_RIGHTSIZE_QUANTILE_HALF_LIFE_HOURS,
            weekly_weeks: d::DEFAULT_RIGHTSIZE_WEEKLY_WEEKS,
            weekly_jitter_hours: d::DEFAULT_RIGHTSIZE_WEEKLY_JITTER_HOURS,
            weekly_lookahead_hours: d::DEFAULT_RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS,
            confidence_hours: d::DEFAULT_RIGHTSIZE_CONFIDENCE_HOURS,
            confidence_k: d::DEFAULT_RIGHTSIZE_CONFIDENCE_K,
            confidence_cap: d::DEFAULT_RIGHTSIZE_CONFIDENCE_CAP,
            oom_bump: d::DEFAULT_RIGHTSIZE_OOM_BUMP,
            grow_at: d::DEFAULT_RIGHTSIZE_GROW_AT,
            grow_hysteresis: d::DEFAULT_RIGHTSIZE_GROW_HYSTERESIS,
            down_hysteresis: d::DEFAULT_RIGHTSIZE_DOWN_HYSTERESIS,
            down_interval_s: d::DEFAULT_RIGHTSIZE_DOWN_INTERVAL_SECONDS,
            shrink_to_band: d::DEFAULT_RIGHTSIZE_SHRINK_TO_BAND,
            grow_to_band: d::DEFAULT_RIGHTSIZE_GROW_TO_BAND,
            burst_headroom_at_1gib: d::default_bytes(d::DEFAULT_RIGHTSIZE_BURST_HEADROOM_AT_1GI),
            burst_exponent: d::DEFAULT_RIGHTSIZE_BURST_EXPONENT,
            burst_spread_factor: d::DEFAULT_RIGHTSIZE_BURST_SPREAD_FACTOR,
            floor_bytes: d::default_bytes(d::DEFAULT_RIGHTSIZE_FLOOR),
        }
    }
}

/// Bytes as MiB for a person (`512 MiB`).
fn mib(bytes: f64) -> String {
    format!("{:.0} MiB", bytes / MIB)
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
        let rec = match self.recommendation(t) {
            None => return Admission::Declared,
            Some(rec) => rec,
        };
        if declared.limit >= rec.bytes && declared.limit <= rec.upper {
            return Admission::Declared;
        }
        // The reason depends on the history only, not on the pod: the webhook quotes it in an
        // annotation that must be the same for every pod of a workload.
        Admission::Sized(Decision {
            allocation: declared.with_limit(rec.bytes),
            reason: format!("sized from history ({})", rec.driver.as_str()),
        })
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
            return self.decide(
                obs,
                new,
                format!(
                    "OOM kill at a peak of {}: limit raised to {} (at least {}x the peak)",
                    mib(obs.peak),
                    mib(new),
                    p.oom_bump
                ),
            );
        }
        let near = obs.peak >= p.grow_at * limit;
        if near || rec.bytes > limit * (1.0 + p.grow_hysteresis) {
            let new = if near {
                rec.bytes + p.grow_to_band * (rec.upper - rec.bytes)
            } else {
                rec.bytes
            };
            let new = new.max(obs.peak * p.margin);
            if new > limit {
                let why = if near {
                    format!("peak {} is near the limit {}", mib(obs.peak), mib(limit))
                } else {
                    format!("the workload's peaks ({}) grew", rec.driver.as_str())
                };
                return self.decide(obs, new, format!("usage grew: {why}"));
            }
        }
        let keep_below = rec.upper.max(rec.bytes / (1.0 - p.down_hysteresis));
        if limit > keep_below && obs.t - since >= p.down_interval_s {
            let new = rec.bytes + p.shrink_to_band * (rec.upper - rec.bytes);
            return self.decide(
                obs,
                new,
                format!(
                    "usage fell ({}): limit {} is above the {} the history supports; lowered to {}",
                    rec.driver.as_str(),
                    mib(limit),
                    mib(keep_below),
                    mib(new)
                ),
            );
        }
        None
    }

    /// The pod's resize clock goes; the profile keeps what the pod taught it.
    fn pod_gone(&mut self, pod: PodId) {
        self.pods.remove(&pod);
    }
}
