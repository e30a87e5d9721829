//! The tunables of our policy (`rightsize`): one `RIGHTSIZE_*` variable and flag per field of
//! [`RightsizeParams`], with its defaults. Memory amounts are Kubernetes quantities (`344Mi`).
use super::{
    ConfigError, at_least, fraction, fraction_closed, memory, non_negative, number, ratio, whole,
};
use crate::profile::HISTORY_HOURS;
use crate::rightsize::RightsizeParams;

mod defaults;
pub use defaults::*;

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
