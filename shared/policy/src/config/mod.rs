//! Configuration shared by the controller and the webhook: every environment variable of the
//! original controller (`../shared/seed/ORIGINAL.md`) with the same name, meaning and default,
//! including the three it only names in its text (`SCALE_UP_MIN_GROWTH`, `SCALE_DOWN_THRESHOLD`,
//! `SCALE_DOWN_MIN_DIFF`), each also a kebab-case `--flag` (DESIGN §4); plus rightsize's own.
//!
//! Each group is a flattenable clap struct (`#[command(flatten)]`) so both binaries reuse it.
//! clap takes the values as strings and the methods here validate them, because clap's own error
//! names the flag and its placeholder (`invalid value 'abc' for '--scale-up-threshold
//! <SCALE_UP_THRESHOLD>': invalid float literal`), never says the value came from the
//! environment, and knows no ranges. Every error here starts with `VARIABLE=value:`, so a bad
//! ConfigMap entry is found at once. Numeric flags accept a leading `-` (`--cooldown-period-seconds
//! -5`) so that a negative value gets this message rather than clap's "unexpected argument".
//!
//! One module per group, re-exported here: `seed` ([`SeedArgs`]), `rightsize`
//! ([`RightsizeArgs`]), `metrics` ([`MetricsArgs`], [`SelectorArgs`]), `logging`
//! ([`LoggingArgs`]), `controller` ([`ControllerArgs`]: the controller's own settings). This
//! file holds the policy choice ([`PolicyArgs`]), the error type and the value checks the groups
//! share.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::quantity::{NANOS_PER_UNIT, Quantity};

mod controller;
mod logging;
mod metrics;
mod rightsize;
mod seed;

pub use controller::{
    ControllerArgs, ControllerConfig, DEFAULT_ADMIN_ADDR, DEFAULT_EXCLUDED_NAMESPACES,
    DEFAULT_HISTORY_FLUSH_INTERVAL_SECONDS, DEFAULT_LEASE_DURATION_SECONDS, DEFAULT_LEASE_NAME,
    DEFAULT_MAX_RESIZES_PER_CYCLE, DEFAULT_MAX_RESIZES_PER_WORKLOAD, DEFAULT_METRICS_SOURCE,
    DEFAULT_NAMESPACE_LABEL, DEFAULT_POD_NAMESPACE, DEFAULT_RESIZE_DEFERRED_WAIT_SECONDS,
    MetricsSource,
};
pub use logging::{DEFAULT_LOG_LEVEL, LogLevel, LoggingArgs};
pub use metrics::{
    DEFAULT_METRICS_FETCH_INTERVAL_SECONDS, DEFAULT_METRICS_SERVER_URL, DEFAULT_VERIFY_CERT,
    MetricsArgs, MetricsConfig, SelectorArgs,
};
pub use rightsize::{
    DEFAULT_RIGHTSIZE_BURST_EXPONENT, DEFAULT_RIGHTSIZE_BURST_HEADROOM_AT_1GI,
    DEFAULT_RIGHTSIZE_BURST_SPREAD_FACTOR, DEFAULT_RIGHTSIZE_CONFIDENCE_CAP,
    DEFAULT_RIGHTSIZE_CONFIDENCE_HOURS, DEFAULT_RIGHTSIZE_CONFIDENCE_K,
    DEFAULT_RIGHTSIZE_DOWN_HYSTERESIS, DEFAULT_RIGHTSIZE_DOWN_INTERVAL_SECONDS,
    DEFAULT_RIGHTSIZE_FLOOR, DEFAULT_RIGHTSIZE_GROW_AT, DEFAULT_RIGHTSIZE_GROW_HYSTERESIS,
    DEFAULT_RIGHTSIZE_GROW_TO_BAND, DEFAULT_RIGHTSIZE_MARGIN, DEFAULT_RIGHTSIZE_OOM_BUMP,
    DEFAULT_RIGHTSIZE_QUANTILE, DEFAULT_RIGHTSIZE_QUANTILE_HALF_LIFE_HOURS,
    DEFAULT_RIGHTSIZE_RECENT_HOURS, DEFAULT_RIGHTSIZE_SHRINK_TO_BAND,
    DEFAULT_RIGHTSIZE_WEEKLY_JITTER_HOURS, DEFAULT_RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS,
    DEFAULT_RIGHTSIZE_WEEKLY_WEEKS, RightsizeArgs, default_bytes,
};
pub use seed::{
    DEFAULT_COOLDOWN_PERIOD_SECONDS, DEFAULT_MIN_REQUEST_MEMORY_MIB, DEFAULT_SCALE_DOWN_MIN_DIFF,
    DEFAULT_SCALE_DOWN_THRESHOLD, DEFAULT_SCALE_DOWN_USAGE_MULTIPLIER, DEFAULT_SCALE_UP_MIN_GROWTH,
    DEFAULT_SCALE_UP_THRESHOLD, DEFAULT_SCALE_UP_USAGE_MULTIPLIER, SeedArgs,
};

/// Every environment variable of the original controller (ORIGINAL.md: its table, and the three
/// its text names), each also a flag here: the compatibility contract (DESIGN §4).
pub const ORIGINAL_VARIABLES: [&str; 14] = [
    "METRICS_SERVER_URL",
    "VERIFY_CERT",
    "METRICS_FETCH_INTERVAL",
    "KUBE_STATE_METRICS_URL",
    "LOG_LEVEL",
    "LABEL_SELECTOR",
    "SCALE_UP_THRESHOLD",
    "SCALE_UP_USAGE_MULTIPLIER",
    "SCALE_UP_MIN_GROWTH",
    "SCALE_DOWN_THRESHOLD",
    "SCALE_DOWN_USAGE_MULTIPLIER",
    "SCALE_DOWN_MIN_DIFF",
    "COOLDOWN_PERIOD_SECONDS",
    "MIN_REQUEST_MEMORY",
];

/// `POLICY`: ours by default; `seed` reproduces the original controller.
pub const DEFAULT_POLICY: PolicyName = PolicyName::Rightsize;

/// An invalid setting, named by its environment variable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}={value}: {reason}")]
    Invalid {
        var: &'static str,
        value: String,
        reason: String,
    },
    #[error("{var}={value}: must be below {other}={other_value}")]
    NotBelow {
        var: &'static str,
        value: String,
        other: &'static str,
        other_value: String,
    },
}

impl ConfigError {
    fn invalid(var: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            var,
            value: value.to_owned(),
            reason: reason.into(),
        }
    }

    /// The environment variable at fault (the first one, for [`ConfigError::NotBelow`]).
    pub fn var(&self) -> &'static str {
        match self {
            Self::Invalid { var, .. } | Self::NotBelow { var, .. } => var,
        }
    }
}

/// Which sizing policy runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyName {
    /// The original controller's rules.
    Seed,
    /// Ours.
    Rightsize,
}

impl PolicyName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seed => "seed",
            Self::Rightsize => "rightsize",
        }
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PolicyName {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "seed" => Ok(Self::Seed),
            "rightsize" => Ok(Self::Rightsize),
            _ => Err(ConfigError::invalid(
                "POLICY",
                s,
                "expected seed or rightsize",
            )),
        }
    }
}

/// The policy choice and the tunables of each policy.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct PolicyArgs {
    /// Sizing policy: `seed` (the original controller's rules) or `rightsize`.
    #[arg(long, env = "POLICY", value_name = "NAME", default_value_t = DEFAULT_POLICY.to_string())]
    pub policy: String,
    #[command(flatten)]
    pub seed: SeedArgs,
    #[command(flatten)]
    pub rightsize: RightsizeArgs,
}

impl PolicyArgs {
    pub fn policy(&self) -> Result<PolicyName, ConfigError> {
        self.policy.parse()
    }
}

/// A finite number (surrounding blanks allowed, as Python's `float()` allows them).
fn number(var: &'static str, value: &str) -> Result<f64, ConfigError> {
    match value.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(ConfigError::invalid(var, value, "not a number")),
    }
}

fn ratio(var: &'static str, value: &str) -> Result<f64, ConfigError> {
    let x = number(var, value)?;
    if x > 0.0 && x <= 1.0 {
        Ok(x)
    } else {
        Err(ConfigError::invalid(
            var,
            value,
            "expected a ratio in (0, 1]",
        ))
    }
}

fn positive(var: &'static str, value: &str) -> Result<f64, ConfigError> {
    let x = number(var, value)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(ConfigError::invalid(var, value, "must be greater than 0"))
    }
}

/// Positive seconds as a [`Duration`]; one too large for a `Duration` (`1e30`) is refused with
/// the variable's name rather than panicking in `Duration::from_secs_f64`.
fn positive_seconds(var: &'static str, value: &str) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(positive(var, value)?)
        .map_err(|_| ConfigError::invalid(var, value, "too large for a duration"))
}

fn non_negative(var: &'static str, value: &str) -> Result<f64, ConfigError> {
    let x = number(var, value)?;
    if x >= 0.0 {
        Ok(x)
    } else {
        Err(ConfigError::invalid(var, value, "must not be negative"))
    }
}

fn at_least(var: &'static str, value: &str, min: f64) -> Result<f64, ConfigError> {
    let x = number(var, value)?;
    if x >= min {
        Ok(x)
    } else {
        Err(ConfigError::invalid(
            var,
            value,
            format!("must be at least {min}"),
        ))
    }
}

/// A fraction in [0, 1).
fn fraction(var: &'static str, value: &str) -> Result<f64, ConfigError> {
    let x = number(var, value)?;
    if (0.0..1.0).contains(&x) {
        Ok(x)
    } else {
        Err(ConfigError::invalid(
            var,
            value,
            "expected a fraction in [0, 1)",
        ))
    }
}

/// A fraction in [0, 1].
fn fraction_closed(var: &'static str, value: &str) -> Result<f64, ConfigError> {
    let x = number(var, value)?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(ConfigError::invalid(
            var,
            value,
            "expected a fraction in [0, 1]",
        ))
    }
}

/// A whole number in `min..=max`, written as any number (`24`, `24.0`, `2.4e1`).
fn whole(var: &'static str, value: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
    let x = number(var, value)?;
    if x.fract() == 0.0 && x >= min as f64 && x <= max as f64 {
        Ok(x as i64)
    } else {
        Err(ConfigError::invalid(
            var,
            value,
            format!("expected a whole number from {min} to {max}"),
        ))
    }
}

/// Bytes of a memory quantity (`344Mi`, `1Gi`, `16777216`), read as the API server reads it;
/// negative amounts and fractions of a byte (`100m`) are refused.
fn memory(var: &'static str, value: &str) -> Result<f64, ConfigError> {
    let q = Quantity::parse(value.trim()).map_err(|e| {
        ConfigError::invalid(
            var,
            value,
            format!(
                "expected a memory quantity such as 16Mi or 1Gi ({})",
                e.kind
            ),
        )
    })?;
    if q.nanos() < 0 {
        Err(ConfigError::invalid(var, value, "must not be negative"))
    } else if q.nanos() % NANOS_PER_UNIT != 0 {
        Err(ConfigError::invalid(
            var,
            value,
            "not a whole number of bytes",
        ))
    } else {
        Ok(q.as_f64())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_numeric;
