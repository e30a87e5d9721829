//! Policy `seed`: the original Python controller's rules (`../shared/seed/ORIGINAL.md`), exactly.
//! Work in progress: parameters only.

/// 1 MiB in bytes.
pub const MIB: f64 = 1_048_576.0;

/// The original controller's tunables, with its documented defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeedParams {
    /// `SCALE_UP_THRESHOLD`: usage/request ratio at or above which memory grows at once.
    pub scale_up_threshold: f64,
    /// `SCALE_UP_USAGE_MULTIPLIER`: new size as a multiple of usage when growing.
    pub scale_up_usage_multiplier: f64,
    /// `SCALE_UP_MIN_GROWTH`: growth is at least this multiple of the current request.
    pub scale_up_min_growth: f64,
    /// `SCALE_DOWN_THRESHOLD`: usage/request ratio at or below which (consistently) memory shrinks.
    pub scale_down_threshold: f64,
    /// `SCALE_DOWN_USAGE_MULTIPLIER`: new size as a multiple of usage when shrinking.
    pub scale_down_usage_multiplier: f64,
    /// `SCALE_DOWN_MIN_DIFF`: a shrink must cut at least this fraction of the request.
    pub scale_down_min_diff: f64,
    /// `COOLDOWN_PERIOD_SECONDS`: seconds after a resize (or pod start) before a shrink.
    pub cooldown_seconds: f64,
    /// `MIN_REQUEST_MEMORY` (MiB in the environment), bytes here.
    pub min_request_bytes: f64,
}

impl Default for SeedParams {
    fn default() -> Self {
        Self {
            scale_up_threshold: 0.8,
            scale_up_usage_multiplier: 1.4,
            scale_up_min_growth: 1.2,
            scale_down_threshold: 0.3,
            scale_down_usage_multiplier: 2.5,
            scale_down_min_diff: 0.2,
            cooldown_seconds: 600.0,
            min_request_bytes: 100.0 * MIB,
        }
    }
}
