//! The original controller's tunables (policy `seed`): `SCALE_*`, `COOLDOWN_PERIOD_SECONDS` and
//! `MIN_REQUEST_MEMORY`, with ORIGINAL.md's defaults.
use super::{ConfigError, fraction, non_negative, positive, ratio};
use crate::seed::{MIB, SeedParams};

/// `SCALE_UP_THRESHOLD`: usage/request ratio at or above which memory grows (ORIGINAL.md: 0.8).
pub const DEFAULT_SCALE_UP_THRESHOLD: f64 = 0.8;
/// `SCALE_UP_USAGE_MULTIPLIER`: new size as a multiple of usage when growing (ORIGINAL.md: 1.4).
pub const DEFAULT_SCALE_UP_USAGE_MULTIPLIER: f64 = 1.4;
/// `SCALE_UP_MIN_GROWTH`: growth is at least this multiple of the request (ORIGINAL.md text: 1.2).
pub const DEFAULT_SCALE_UP_MIN_GROWTH: f64 = 1.2;
/// `SCALE_DOWN_THRESHOLD`: usage/request ratio at or below which (consistently) memory shrinks
/// (ORIGINAL.md text: 0.3).
pub const DEFAULT_SCALE_DOWN_THRESHOLD: f64 = 0.3;
/// `SCALE_DOWN_USAGE_MULTIPLIER`: new size as a multiple of usage when shrinking
/// (ORIGINAL.md: 2.5).
pub const DEFAULT_SCALE_DOWN_USAGE_MULTIPLIER: f64 = 2.5;
/// `SCALE_DOWN_MIN_DIFF`: a shrink must cut at least this fraction (ORIGINAL.md text: 0.2).
pub const DEFAULT_SCALE_DOWN_MIN_DIFF: f64 = 0.2;
/// `COOLDOWN_PERIOD_SECONDS`: seconds after a resize before a shrink (ORIGINAL.md: 600).
pub const DEFAULT_COOLDOWN_PERIOD_SECONDS: f64 = 600.0;
/// `MIN_REQUEST_MEMORY`: smallest memory request, in MiB (ORIGINAL.md: 100).
pub const DEFAULT_MIN_REQUEST_MEMORY_MIB: f64 = 100.0;

/// The original controller's tunables (policy `seed`).
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct SeedArgs {
    /// Usage/request ratio at or above which memory grows at once, in (0, 1].
    #[arg(
        long,
        env = "SCALE_UP_THRESHOLD",
        allow_negative_numbers = true,
        value_name = "RATIO",
        default_value_t = DEFAULT_SCALE_UP_THRESHOLD.to_string()
    )]
    pub scale_up_threshold: String,
    /// New size as a multiple of usage when growing (> 0).
    #[arg(
        long,
        env = "SCALE_UP_USAGE_MULTIPLIER",
        allow_negative_numbers = true,
        value_name = "FACTOR",
        default_value_t = DEFAULT_SCALE_UP_USAGE_MULTIPLIER.to_string()
    )]
    pub scale_up_usage_multiplier: String,
    /// Growth is at least this multiple of the current request (> 0).
    #[arg(
        long,
        env = "SCALE_UP_MIN_GROWTH",
        allow_negative_numbers = true,
        value_name = "FACTOR",
        default_value_t = DEFAULT_SCALE_UP_MIN_GROWTH.to_string()
    )]
    pub scale_up_min_growth: String,
    /// Usage/request ratio at or below which, consistently, memory shrinks, in (0, 1].
    #[arg(
        long,
        env = "SCALE_DOWN_THRESHOLD",
        allow_negative_numbers = true,
        value_name = "RATIO",
        default_value_t = DEFAULT_SCALE_DOWN_THRESHOLD.to_string()
    )]
    pub scale_down_threshold: String,
    /// New size as a multiple of usage when shrinking (> 0).
    #[arg(
        long,
        env = "SCALE_DOWN_USAGE_MULTIPLIER",
        allow_negative_numbers = true,
        value_name = "FACTOR",
        default_value_t = DEFAULT_SCALE_DOWN_USAGE_MULTIPLIER.to_string()
    )]
    pub scale_down_usage_multiplier: String,
    /// A shrink must cut at least this fraction of the request, in [0, 1).
    #[arg(
        long,
        env = "SCALE_DOWN_MIN_DIFF",
        allow_negative_numbers = true,
        value_name = "FRACTION",
        default_value_t = DEFAULT_SCALE_DOWN_MIN_DIFF.to_string()
    )]
    pub scale_down_min_diff: String,
    /// Seconds after a resize (or pod start) before a shrink (>= 0).
    #[arg(
        long,
        env = "COOLDOWN_PERIOD_SECONDS",
        allow_negative_numbers = true,
        value_name = "SECONDS",
        default_value_t = DEFAULT_COOLDOWN_PERIOD_SECONDS.to_string()
    )]
    pub cooldown_period_seconds: String,
    /// Smallest memory request, in MiB (>= 0).
    #[arg(
        long,
        env = "MIN_REQUEST_MEMORY",
        allow_negative_numbers = true,
        value_name = "MIB",
        default_value_t = DEFAULT_MIN_REQUEST_MEMORY_MIB.to_string()
    )]
    pub min_request_memory: String,
}

impl Default for SeedArgs {
    /// Every variable unset: what clap produces from an empty command line and environment.
    fn default() -> Self {
        Self {
            scale_up_threshold: DEFAULT_SCALE_UP_THRESHOLD.to_string(),
            scale_up_usage_multiplier: DEFAULT_SCALE_UP_USAGE_MULTIPLIER.to_string(),
            scale_up_min_growth: DEFAULT_SCALE_UP_MIN_GROWTH.to_string(),
            scale_down_threshold: DEFAULT_SCALE_DOWN_THRESHOLD.to_string(),
            scale_down_usage_multiplier: DEFAULT_SCALE_DOWN_USAGE_MULTIPLIER.to_string(),
            scale_down_min_diff: DEFAULT_SCALE_DOWN_MIN_DIFF.to_string(),
            cooldown_period_seconds: DEFAULT_COOLDOWN_PERIOD_SECONDS.to_string(),
            min_request_memory: DEFAULT_MIN_REQUEST_MEMORY_MIB.to_string(),
        }
    }
}

impl SeedArgs {
    /// The validated tunables; `MIN_REQUEST_MEMORY` (MiB) becomes bytes.
    pub fn params(&self) -> Result<SeedParams, ConfigError> {
        let up = ratio("SCALE_UP_THRESHOLD", &self.scale_up_threshold)?;
        let down = ratio("SCALE_DOWN_THRESHOLD", &self.scale_down_threshold)?;
        if down >= up {
            return Err(ConfigError::NotBelow {
                var: "SCALE_DOWN_THRESHOLD",
                value: self.scale_down_threshold.clone(),
                other: "SCALE_UP_THRESHOLD",
                other_value: self.scale_up_threshold.clone(),
            });
        }
        let min_diff = fraction("SCALE_DOWN_MIN_DIFF", &self.scale_down_min_diff)?;
        Ok(SeedParams {
            scale_up_threshold: up,
            scale_up_usage_multiplier: positive(
                "SCALE_UP_USAGE_MULTIPLIER",
                &self.scale_up_usage_multiplier,
            )?,
            scale_up_min_growth: positive("SCALE_UP_MIN_GROWTH", &self.scale_up_min_growth)?,
            scale_down_threshold: down,
            scale_down_usage_multiplier: positive(
                "SCALE_DOWN_USAGE_MULTIPLIER",
                &self.scale_down_usage_multiplier,
            )?,
            scale_down_min_diff: min_diff,
            cooldown_seconds: non_negative(
                "COOLDOWN_PERIOD_SECONDS",
                &self.cooldown_period_seconds,
            )?,
            min_request_bytes: non_negative("MIN_REQUEST_MEMORY", &self.min_request_memory)? * MIB,
        })
    }
}
