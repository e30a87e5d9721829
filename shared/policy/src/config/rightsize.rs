//! The tunables of our policy (`rightsize`): one `RIGHTSIZE_*` variable and flag per field of
//! [`RightsizeParams`], with its defaults. Memory amounts are Kubernetes quantities (`344Mi`).
use super::{
    ConfigError, at_least, fraction, fraction_closed, memory, non_negative, number, ratio, whole,
};
use crate::profile::HISTORY_HOURS;
use crate::rightsize::RightsizeParams;

// Defaults: the values `RightsizeParams::default()` holds, tuned on the development traces
// (README "Policy results"); a test keeps the two equal.

/// `RIGHTSIZE_MARGIN`: at least 5 % headroom over the estimated peak, whatever its size.
pub const DEFAULT_RIGHTSIZE_MARGIN: f64 = 1.05;
/// `RIGHTSIZE_RECENT_HOURS`: the recent envelope covers a day, so a daily peak is always in it.
pub const DEFAULT_RIGHTSIZE_RECENT_HOURS: i64 = 24;
/// `RIGHTSIZE_QUANTILE`: P97 of two weeks of hourly peaks, so a burst in more than ~3 % of the
/// hours keeps its room on quiet days.
pub const DEFAULT_RIGHTSIZE_QUANTILE: f64 = 0.97;
/// `RIGHTSIZE_QUANTILE_HALF_LIFE_HOURS`: in that quantile an hourly peak weighs half as much
/// every this many hours of age (0: all hours of the two weeks weigh the same). Bursts that stopped
/// recurring then stop holding the limit up within days, while bursts that keep coming stay in
/// the newest, heaviest hours.
pub const DEFAULT_RIGHTSIZE_QUANTILE_HALF_LIFE_HOURS: f64 = 0.0;
/// `RIGHTSIZE_WEEKLY_WEEKS`: one and two weeks back, all the usage profile keeps.
pub const DEFAULT_RIGHTSIZE_WEEKLY_WEEKS: i64 = 2;
/// `RIGHTSIZE_WEEKLY_JITTER_HOURS`: a weekly job may start an hour early or late.
pub const DEFAULT_RIGHTSIZE_WEEKLY_JITTER_HOURS: i64 = 1;
/// `RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS`: the limit rises an hour before a weekly burst.
pub const DEFAULT_RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS: i64 = 1;
/// `RIGHTSIZE_CONFIDENCE_HOURS`: after a day of observed hours the confidence band reaches
/// 1 + k times the target; it keeps narrowing as history grows.
pub const DEFAULT_RIGHTSIZE_CONFIDENCE_HOURS: f64 = 24.0;
/// `RIGHTSIZE_CONFIDENCE_K`: the band (sizes left alone) is x2.2 the target after one hour,
/// x1.6 after two, x1.05 after a day, so a few quiet minutes never shrink a pod to its idle size
/// while a day of history is trusted. It widens the band only, never the target (VPA's rule for
/// young history).
pub const DEFAULT_RIGHTSIZE_CONFIDENCE_K: f64 = 0.05;
/// `RIGHTSIZE_CONFIDENCE_CAP`: the band never exceeds x10 the target whatever the other two
/// settings, so a first hour of history always pulls down a pod declared at a hundred times its
/// use.
pub const DEFAULT_RIGHTSIZE_CONFIDENCE_CAP: f64 = 10.0;
/// `RIGHTSIZE_OOM_BUMP`: the peak seen at an OOM kill is a lower bound of what was wanted (the
/// sample that saw it was cut short), and a VM or task that jumps once jumps by several times
/// its size (median x3.9 on the Bitbrains kills), so the limit goes to 2.5x that peak and comes
/// back down by the ordinary decrease rule (VPA: x1.2).
pub const DEFAULT_RIGHTSIZE_OOM_BUMP: f64 = 2.5;
/// `RIGHTSIZE_GROW_AT`: a peak within 5 % of the limit raises it at once (growth is never
/// delayed; the headroom is already in the limit, so a lower trigger only resizes more).
pub const DEFAULT_RIGHTSIZE_GROW_AT: f64 = 0.95;
/// `RIGHTSIZE_GROW_HYSTERESIS`: a target 20 % above the limit raises it before any peak reaches
/// it (another replica's burst), but a target creeping up an hour at a time does not resize
/// every hour.
pub const DEFAULT_RIGHTSIZE_GROW_HYSTERESIS: f64 = 0.2;
/// `RIGHTSIZE_SHRINK_TO_BAND`: a decrease lands halfway between the target and the top of the
/// confidence band, so young history is trimmed in one step without going to the bare target.
pub const DEFAULT_RIGHTSIZE_SHRINK_TO_BAND: f64 = 0.5;
/// `RIGHTSIZE_GROW_TO_BAND`: a peak near the limit grows it to 70 % of the way from the target
/// to the top of the confidence band. With a day of history that is about 4 % above the target;
/// in a workload's first hour (no spread seen, so the target is only `RIGHTSIZE_MARGIN` above
/// the peak) it is about x1.8 the target, so a fast ramp or a flat usage pressing on its limit
/// is grown in one or two steps instead of 5 % at a time. VPA widens only its bounds for young
/// history, not its target (`../shared/reference/vpa.md`); this uses that widened bound for
/// growth only, where being short is an OOM kill.
pub const DEFAULT_RIGHTSIZE_GROW_TO_BAND: f64 = 0.7;
/// `RIGHTSIZE_DOWN_HYSTERESIS`: a decrease must save at least 10 %, so resizes stay rare.
pub const DEFAULT_RIGHTSIZE_DOWN_HYSTERESIS: f64 = 0.1;
/// `RIGHTSIZE_DOWN_INTERVAL_SECONDS`: at most one decrease per pod every 4 h.
pub const DEFAULT_RIGHTSIZE_DOWN_INTERVAL_SECONDS: f64 = 4.0 * 3600.0;
/// `RIGHTSIZE_BURST_HEADROOM_AT_1GI`: burst headroom at a 1 GiB level (218 MiB at 256 MiB,
/// 1.1 GiB at 4 GiB), for a workload whose spread allows it (see the spread factor).
pub const DEFAULT_RIGHTSIZE_BURST_HEADROOM_AT_1GI: &str = "500Mi";
/// `RIGHTSIZE_BURST_EXPONENT`: headroom grows as level^0.6, less than in proportion: the next
/// jump of a small container is large relative to its size, that of a 30 GiB VM small (on the
/// development traces 0.6 beat the square root, which gave tiny services too much, and a fixed
/// percentage, which gave small VMs too little).
pub const DEFAULT_RIGHTSIZE_BURST_EXPONENT: f64 = 0.6;
/// `RIGHTSIZE_BURST_SPREAD_FACTOR`: headroom is at most 3x the workload's own spread (level −
/// median hourly peak), so a steady task whose peaks stay within 3 % of their median gets about
/// 10 % of room, not hundreds of MiB.
pub const DEFAULT_RIGHTSIZE_BURST_SPREAD_FACTOR: f64 = 3.0;
/// `RIGHTSIZE_FLOOR`: the smallest size handed out; far below VPA's 250 MiB, because services of
/// a few tens of MiB exist (see [`crate::rightsize`]).
pub const DEFAULT_RIGHTSIZE_FLOOR: &str = "16Mi";

/// Bytes of a default memory quantity (a `DEFAULT_*` constant; a test keeps each valid).
pub fn default_bytes(quantity: &'static str) -> f64 {
    memory("default", quantity).expect("DEFAULT_* memory quantities are valid")
}

/// Weeks the weekly schedule can look back: older hours are no longer in the usage profile.
const MAX_WEEKS: i64 = HISTORY_HOURS as i64 / 168;
/// Hours any window can span: the usage profile holds no older hour.
const MAX_HOURS: i64 = HISTORY_HOURS as i64;

/// The tunables of policy `rightsize` (`RIGHTSIZE_*`).
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct RightsizeArgs {
    /// Minimum headroom over the estimated peak, as a factor (>= 1; 1.05 = 5 %).
    #[arg(
        long,
        env = "RIGHTSIZE_MARGIN",
        allow_negative_numbers = true,
        value_name = "FACTOR",
        default_value_t = DEFAULT_RIGHTSIZE_MARGIN.to_string()
    )]
    pub rightsize_margin: String,
    /// Hours of the recent envelope (1 to 336).
    #[arg(
        long,
        env = "RIGHTSIZE_RECENT_HOURS",
        allow_negative_numbers = true,
        value_name = "HOURS",
        default_value_t = DEFAULT_RIGHTSIZE_RECENT_HOURS.to_string()
    )]
    pub rightsize_recent_hours: String,
    /// Quantile of two weeks of hourly peaks that must fit, in (0, 1].
    #[arg(
        long,
        env = "RIGHTSIZE_QUANTILE",
        allow_negative_numbers = true,
        value_name = "QUANTILE",
        default_value_t = DEFAULT_RIGHTSIZE_QUANTILE.to_string()
    )]
    pub rightsize_quantile: String,
    /// Half-life in hours of an hourly peak's weight in that quantile (>= 0; 0: no decay).
    #[arg(
        long,
        env = "RIGHTSIZE_QUANTILE_HALF_LIFE_HOURS",
        allow_negative_numbers = true,
        value_name = "HOURS",
        default_value_t = DEFAULT_RIGHTSIZE_QUANTILE_HALF_LIFE_HOURS.to_string()
    )]
    pub rightsize_quantile_half_life_hours: String,
    /// Weeks back looked at for the weekly schedule (0 to 2, the history kept; 0 turns it off).
    #[arg(
        long,
        env = "RIGHTSIZE_WEEKLY_WEEKS",
        allow_negative_numbers = true,
        value_name = "WEEKS",
        default_value_t = DEFAULT_RIGHTSIZE_WEEKLY_WEEKS.to_string()
    )]
    pub rightsize_weekly_weeks: String,
    /// Hours around the same hour of the week that count (0 to 336).
    #[arg(
        long,
        env = "RIGHTSIZE_WEEKLY_JITTER_HOURS",
        allow_negative_numbers = true,
        value_name = "HOURS",
        default_value_t = DEFAULT_RIGHTSIZE_WEEKLY_JITTER_HOURS.to_string()
    )]
    pub rightsize_weekly_jitter_hours: String,
    /// Hours ahead of the current one looked at in past weeks, so the limit rises before a weekly
    /// burst (0 to 336).
    #[arg(
        long,
        env = "RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS",
        allow_negative_numbers = true,
        value_name = "HOURS",
        default_value_t = DEFAULT_RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS.to_string()
    )]
    pub rightsize_weekly_lookahead_hours: String,
    /// Hours of history at which the confidence factor is down to 1 + k (>= 0; 0 turns it off).
    #[arg(
        long,
        env = "RIGHTSIZE_CONFIDENCE_HOURS",
        allow_negative_numbers = true,
        value_name = "HOURS",
        default_value_t = DEFAULT_RIGHTSIZE_CONFIDENCE_HOURS.to_string()
    )]
    pub rightsize_confidence_hours: String,
    /// Weight k of the confidence factor (>= 0; 0 turns it off).
    #[arg(
        long,
        env = "RIGHTSIZE_CONFIDENCE_K",
        allow_negative_numbers = true,
        value_name = "WEIGHT",
        default_value_t = DEFAULT_RIGHTSIZE_CONFIDENCE_K.to_string()
    )]
    pub rightsize_confidence_k: String,
    /// Upper bound of the confidence factor (>= 1).
    #[arg(
        long,
        env = "RIGHTSIZE_CONFIDENCE_CAP",
        allow_negative_numbers = true,
        value_name = "FACTOR",
        default_value_t = DEFAULT_RIGHTSIZE_CONFIDENCE_CAP.to_string()
    )]
    pub rightsize_confidence_cap: String,
    /// On an OOM kill the limit becomes at least this multiple of the peak that killed it (>= 1).
    #[arg(
        long,
        env = "RIGHTSIZE_OOM_BUMP",
        allow_negative_numbers = true,
        value_name = "FACTOR",
        default_value_t = DEFAULT_RIGHTSIZE_OOM_BUMP.to_string()
    )]
    pub rightsize_oom_bump: String,
    /// A peak at or above this fraction of the limit raises the limit at once, in (0, 1].
    #[arg(
        long,
        env = "RIGHTSIZE_GROW_AT",
        allow_negative_numbers = true,
        value_name = "RATIO",
        default_value_t = DEFAULT_RIGHTSIZE_GROW_AT.to_string()
    )]
    pub rightsize_grow_at: String,
    /// A target this fraction above the limit raises it at once (>= 0).
    #[arg(
        long,
        env = "RIGHTSIZE_GROW_HYSTERESIS",
        allow_negative_numbers = true,
        value_name = "FRACTION",
        default_value_t = DEFAULT_RIGHTSIZE_GROW_HYSTERESIS.to_string()
    )]
    pub rightsize_grow_hysteresis: String,
    /// Where a decrease lands in the confidence band: 0 = the target, 1 = the band's top.
    #[arg(
        long,
        env = "RIGHTSIZE_SHRINK_TO_BAND",
        allow_negative_numbers = true,
        value_name = "FRACTION",
        default_value_t = DEFAULT_RIGHTSIZE_SHRINK_TO_BAND.to_string()
    )]
    pub rightsize_shrink_to_band: String,
    /// Where a growth triggered by a peak near the limit lands in the confidence band: 0 = the
    /// target, 1 = the band's top.
    #[arg(
        long,
        env = "RIGHTSIZE_GROW_TO_BAND",
        allow_negative_numbers = true,
        value_name = "FRACTION",
        default_value_t = DEFAULT_RIGHTSIZE_GROW_TO_BAND.to_string()
    )]
    pub rightsize_grow_to_band: String,
    /// The limit is lowered only when the target is at least this fraction below it, in [0, 1).
    #[arg(
        long,
        env = "RIGHTSIZE_DOWN_HYSTERESIS",
        allow_negative_numbers = true,
        value_name = "FRACTION",
        default_value_t = DEFAULT_RIGHTSIZE_DOWN_HYSTERESIS.to_string()
    )]
    pub rightsize_down_hysteresis: String,
    /// Minimum seconds between a pod's start or last resize and a decrease (>= 0).
    #[arg(
        long,
        env = "RIGHTSIZE_DOWN_INTERVAL_SECONDS",
        allow_negative_numbers = true,
        value_name = "SECONDS",
        default_value_t = DEFAULT_RIGHTSIZE_DOWN_INTERVAL_SECONDS.to_string()
    )]
    pub rightsize_down_interval_seconds: String,
    /// Burst headroom at a 1 GiB level, a memory quantity; it scales with the level to the power
    /// of the burst exponent.
    #[arg(
        long,
        env = "RIGHTSIZE_BURST_HEADROOM_AT_1GI",
        allow_negative_numbers = true,
        value_name = "QUANTITY",
        default_value = DEFAULT_RIGHTSIZE_BURST_HEADROOM_AT_1GI
    )]
    pub rightsize_burst_headroom_at_1gi: String,
    /// Exponent of the burst-headroom law, in [0, 1] (0.5 would be the square root of the level).
    #[arg(
        long,
        env = "RIGHTSIZE_BURST_EXPONENT",
        allow_negative_numbers = true,
        value_name = "EXPONENT",
        default_value_t = DEFAULT_RIGHTSIZE_BURST_EXPONENT.to_string()
    )]
    pub rightsize_burst_exponent: String,
    /// Headroom is at most this multiple of the workload's spread, level − median hourly peak
    /// (>= 0).
    #[arg(
        long,
        env = "RIGHTSIZE_BURST_SPREAD_FACTOR",
        allow_negative_numbers = true,
        value_name = "FACTOR",
        default_value_t = DEFAULT_RIGHTSIZE_BURST_SPREAD_FACTOR.to_string()
    )]
    pub rightsize_burst_spread_factor: String,
    /// Smallest size of a container, a memory quantity.
    #[arg(
        long,
        env = "RIGHTSIZE_FLOOR",
        allow_negative_numbers = true,
        value_name = "QUANTITY",
        default_value = DEFAULT_RIGHTSIZE_FLOOR
    )]
    pub rightsize_floor: String,
}

impl Default for RightsizeArgs {
    /// Every variable unset: what clap produces from an empty command line and environment.
    fn default() -> Self {
        Self {
            rightsize_margin: DEFAULT_RIGHTSIZE_MARGIN.to_string(),
            rightsize_recent_hours: DEFAULT_RIGHTSIZE_RECENT_HOURS.to_string(),
            rightsize_quantile: DEFAULT_RIGHTSIZE_QUANTILE.to_string(),
            rightsize_quantile_half_life_hours: DEFAULT_RIGHTSIZE_QUANTILE_HALF_LIFE_HOURS
                .to_string(),
            rightsize_weekly_weeks: DEFAULT_RIGHTSIZE_WEEKLY_WEEKS.to_string(),
            rightsize_weekly_jitter_hours: DEFAULT_RIGHTSIZE_WEEKLY_JITTER_HOURS.to_string(),
            rightsize_weekly_lookahead_hours: DEFAULT_RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS.to_string(),
            rightsize_confidence_hours: DEFAULT_RIGHTSIZE_CONFIDENCE_HOURS.to_string(),
            rightsize_confidence_k: DEFAULT_RIGHTSIZE_CONFIDENCE_K.to_string(),
            rightsize_confidence_cap: DEFAULT_RIGHTSIZE_CONFIDENCE_CAP.to_string(),
            rightsize_oom_bump: DEFAULT_RIGHTSIZE_OOM_BUMP.to_string(),
            rightsize_grow_at: DEFAULT_RIGHTSIZE_GROW_AT.to_string(),
            rightsize_grow_hysteresis: DEFAULT_RIGHTSIZE_GROW_HYSTERESIS.to_string(),
            rightsize_shrink_to_band: DEFAULT_RIGHTSIZE_SHRINK_TO_BAND.to_string(),
            rightsize_grow_to_band: DEFAULT_RIGHTSIZE_GROW_TO_BAND.to_string(),
            rightsize_down_hysteresis: DEFAULT_RIGHTSIZE_DOWN_HYSTERESIS.to_string(),
            rightsize_down_interval_seconds: DEFAULT_RIGHTSIZE_DOWN_INTERVAL_SECONDS.to_string(),
            rightsize_burst_headroom_at_1gi: DEFAULT_RIGHTSIZE_BURST_HEADROOM_AT_1GI.to_owned(),
            rightsize_burst_exponent: DEFAULT_RIGHTSIZE_BURST_EXPONENT.to_string(),
            rightsize_burst_spread_factor: DEFAULT_RIGHTSIZE_BURST_SPREAD_FACTOR.to_string(),
            rightsize_floor: DEFAULT_RIGHTSIZE_FLOOR.to_owned(),
        }
    }
}

impl RightsizeArgs {
    /// The validated tunables; quantities become bytes.
    pub fn params(&self) -> Result<RightsizeParams, ConfigError> {
        let quantile = number("RIGHTSIZE_QUANTILE", &self.rightsize_quantile)?;
        if !(quantile > 0.0 && quantile <= 1.0) {
            return Err(ConfigError::invalid(
                "RIGHTSIZE_QUANTILE",
                &self.rightsize_quantile,
                "expected a quantile in (0, 1]",
            ));
        }
        Ok(RightsizeParams {
            margin: at_least("RIGHTSIZE_MARGIN", &self.rightsize_margin, 1.0)?,
            recent_hours: whole(
                "RIGHTSIZE_RECENT_HOURS",
                &self.rightsize_recent_hours,
                1,
                MAX_HOURS,
            )?,
            quantile,
            quantile_half_life_hours: non_negative(
                "RIGHTSIZE_QUANTILE_HALF_LIFE_HOURS",
                &self.rightsize_quantile_half_life_hours,
            )?,
            weekly_weeks: whole(
                "RIGHTSIZE_WEEKLY_WEEKS",
                &self.rightsize_weekly_weeks,
                0,
                MAX_WEEKS,
            )?,
            weekly_jitter_hours: whole(
                "RIGHTSIZE_WEEKLY_JITTER_HOURS",
                &self.rightsize_weekly_jitter_hours,
                0,
                MAX_HOURS,
            )?,
            weekly_lookahead_hours: whole(
                "RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS",
                &self.rightsize_weekly_lookahead_hours,
                0,
                MAX_HOURS,
            )?,
            confidence_hours: non_negative(
                "RIGHTSIZE_CONFIDENCE_HOURS",
                &self.rightsize_confidence_hours,
            )?,
            confidence_k: non_negative("RIGHTSIZE_CONFIDENCE_K", &self.rightsize_confidence_k)?,
            confidence_cap: at_least(
                "RIGHTSIZE_CONFIDENCE_CAP",
                &self.rightsize_confidence_cap,
                1.0,
            )?,
            oom_bump: at_least("RIGHTSIZE_OOM_BUMP", &self.rightsize_oom_bump, 1.0)?,
            grow_at: ratio("RIGHTSIZE_GROW_AT", &self.rightsize_grow_at)?,
            grow_hysteresis: non_negative(
                "RIGHTSIZE_GROW_HYSTERESIS",
                &self.rightsize_grow_hysteresis,
            )?,
            shrink_to_band: fraction_closed(
                "RIGHTSIZE_SHRINK_TO_BAND",
                &self.rightsize_shrink_to_band,
            )?,
            grow_to_band: fraction_closed("RIGHTSIZE_GROW_TO_BAND", &self.rightsize_grow_to_band)?,
            down_hysteresis: fraction(
                "RIGHTSIZE_DOWN_HYSTERESIS",
                &self.rightsize_down_hysteresis,
            )?,
            down_interval_s: non_negative(
                "RIGHTSIZE_DOWN_INTERVAL_SECONDS",
                &self.rightsize_down_interval_seconds,
            )?,
            burst_headroom_at_1gib: memory(
                "RIGHTSIZE_BURST_HEADROOM_AT_1GI",
                &self.rightsize_burst_headroom_at_1gi,
            )?,
            burst_exponent: fraction_closed(
                "RIGHTSIZE_BURST_EXPONENT",
                &self.rightsize_burst_exponent,
            )?,
            burst_spread_factor: non_negative(
                "RIGHTSIZE_BURST_SPREAD_FACTOR",
                &self.rightsize_burst_spread_factor,
            )?,
            floor_bytes: memory("RIGHTSIZE_FLOOR", &self.rightsize_floor)?,
        })
    }
}

#[cfg(test)]
mod tests;
