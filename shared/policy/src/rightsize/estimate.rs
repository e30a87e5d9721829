//! What `rightsize` wants for a workload at one moment, from its usage profile alone: a target
//! limit and the confidence band around it. Pure and shared by the webhook (admission), the
//! controller and the evaluator; the in-place rules that act on it live in [`super`].
//!
//! **Level**: the largest of three views of the hourly peaks (the recent envelope, a high quantile
//! of two weeks, the same hours one and two weeks ago; see the module documentation of
//! [`super`]).
//!
//! **Target** = level + headroom. The headroom is the *smaller* of two amounts, never below
//! `margin`:
//! - the power law `burst_headroom_at_1gib` × (level / 1 GiB)^`burst_exponent` (0.6): the next
//!   jump of a small container is large relative to its size, that of a 30 GiB VM small
//!   relative to its size;
//! - `burst_spread_factor` × the workload's own spread, level − median hourly peak: a workload
//!   whose peaks never strayed far from their median (a steady batch task) has shown no burst to
//!   make room for, while one that jumps (a VM that triples its memory for an hour) keeps the
//!   whole power-law room.
//!
//! The quantile view may weigh each hourly peak by its age (`quantile_half_life_hours`, off by
//! default): a burst regime that stopped then stops holding the limit up within days, unless the
//! workload was OOM-killed within the kept history (its bursts have shown they come back).
//!
//! **Band** = target × `min(confidence_cap, 1 + confidence_k × confidence_hours / hours)`, with
//! `hours` the wall-clock hours of history (not replica-hours: ten replicas watched for an hour
//! have still seen only one hour of the workload's life). As in VPA, young history widens the
//! bound within which a size is left alone; it does not inflate the target
//! (`../shared/reference/vpa.md`, "Estimators": the upper bound is multiplied by (1 + 1/conf)).
use crate::profile::{HISTORY_HOURS, HOUR, UsageProfile, hour_of};

use super::RightsizeParams;

/// 1 GiB in bytes.
const GIB: f64 = 1024.0 * crate::seed::MIB;

/// Hours a week back (the weekly schedule).
const WEEK_HOURS: i64 = 168;

/// The limit `rightsize` wants for a workload at time `t`, with the view that set it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recommendation {
    /// Target memory limit in bytes (the request follows the declared request/limit ratio).
    pub bytes: f64,
    /// Upper end of the confidence band (bytes): a limit between `bytes` and this is left alone
    /// (no decrease), so little history never shrinks a pod far below what it was given.
    pub upper: f64,
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

/// The value of rank `q` (0..=1) of `values` (reordered in place); `values` is not empty.
fn rank(values: &mut [f64], q: f64) -> f64 {
    let i = ((q * values.len() as f64) as usize).min(values.len() - 1);
    *values.select_nth_unstable_by(i, f64::total_cmp).1
}

/// The `q` quantile (0..=1) of the hourly peaks of the window ending at `hour`, each hour
/// weighted by 2^(−age / `half_life` hours), so a burst regime that stopped recurring loses its
/// weight to the quiet hours since, as in VPA's decaying histogram
/// (`../shared/reference/vpa.md`). `None` when `half_life` is not positive (no decay).
fn decayed_quantile(profile: &UsageProfile, hour: i64, q: f64, half_life: f64) -> Option<f64> {
    if half_life <= 0.0 {
        return None;
    }
    let mut weighted: Vec<(f64, f64)> = (0..HISTORY_HOURS as i64)
        .filter_map(|age| {
            let peak = profile.hour_peak(hour - age)?;
            Some((peak, (-(age as f64) / half_life).exp2()))
        })
        .collect();
    weighted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = weighted.iter().map(|w| w.1).sum();
    let mut running = 0.0;
    for &(peak, weight) in &weighted {
        running += weight;
        if running >= q * total {
            return Some(peak);
        }
    }
    weighted.last().map(|w| w.0)
}

/// The `rightsize` recommendation from a profile at time `t`. `None` when the profile holds no
/// sample.
pub fn recommend(
    profile: &UsageProfile,
    params: &RightsizeParams,
    t: f64,
) -> Option<Recommendation> {
    let hours = profile.hours_observed();
    if hours == 0 {
        return None;
    }
    let hour = hour_of(t);
    let recent = profile.max_over(hour, params.recent_hours).unwrap_or(0.0);
    let mut peaks: Vec<f64> = profile.hourly_peaks().collect();
    // A workload OOM-killed within the kept history has shown that its peaks come back above
    // the quiet level: its bursts keep their full weight until they leave the history.
    let killed = profile
        .last_oom()
        .is_some_and(|s| t - (s as f64) < HISTORY_HOURS as f64 * HOUR);
    let half_life = if killed {
        0.0
    } else {
        params.quantile_half_life_hours
    };
    let quantile = decayed_quantile(profile, hour, params.quantile, half_life)
        .unwrap_or_else(|| rank(&mut peaks, params.quantile));
    let median = rank(&mut peaks, 0.5);
    let mut weekly = 0.0_f64;
    for week in 1..=params.weekly_weeks {
        for offset in -params.weekly_jitter_hours..=params.weekly_lookahead_hours {
            if let Some(p) = profile.hour_peak(hour + offset - WEEK_HOURS * week) {
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
    let power_law = params.burst_headroom_at_1gib * (level / GIB).powf(params.burst_exponent);
    let spread = params.burst_spread_factor * (level - median).max(0.0);
    let headroom = power_law.min(spread).max(level * (params.margin - 1.0));
    let mut bytes = level + headroom;
    if bytes < params.floor_bytes {
        (bytes, driver) = (params.floor_bytes, Driver::Floor);
    }
    let widen = (1.0 + params.confidence_k * params.confidence_hours / hours as f64)
        .min(params.confidence_cap);
    Some(Recommendation {
        bytes,
        upper: bytes * widen,
        driver,
    })
}
