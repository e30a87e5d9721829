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

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::seed::{MIB, SeedParams};

/// `METRICS_SERVER_URL`: metrics-server's in-cluster Service (ORIGINAL.md).
pub const DEFAULT_METRICS_SERVER_URL: &str = "https://metrics-server.kube-system.svc.cluster.local";
/// `VERIFY_CERT`: verify TLS certificates of the metrics endpoints (ORIGINAL.md: `true`).
pub const DEFAULT_VERIFY_CERT: bool = true;
/// `METRICS_FETCH_INTERVAL`: seconds between metrics reads (ORIGINAL.md: 30).
pub const DEFAULT_METRICS_FETCH_INTERVAL_SECONDS: f64 = 30.0;
/// `LOG_LEVEL` (ORIGINAL.md: `INFO`).
pub const DEFAULT_LOG_LEVEL: LogLevel = LogLevel::Info;
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
        let min_diff = number("SCALE_DOWN_MIN_DIFF", &self.scale_down_min_diff)?;
        if !(0.0..1.0).contains(&min_diff) {
            return Err(ConfigError::invalid(
                "SCALE_DOWN_MIN_DIFF",
                &self.scale_down_min_diff,
                "expected a fraction in [0, 1)",
            ));
        }
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

/// The policy choice and the seed tunables.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct PolicyArgs {
    /// Sizing policy: `seed` (the original controller's rules) or `rightsize`.
    #[arg(long, env = "POLICY", value_name = "NAME", default_value_t = DEFAULT_POLICY.to_string())]
    pub policy: String,
    #[command(flatten)]
    pub seed: SeedArgs,
}

impl PolicyArgs {
    pub fn policy(&self) -> Result<PolicyName, ConfigError> {
        self.policy.parse()
    }
}

/// Where and how often metrics are read (controller).
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct MetricsArgs {
    /// URL of metrics-server.
    #[arg(
        long,
        env = "METRICS_SERVER_URL",
        value_name = "URL",
        default_value = DEFAULT_METRICS_SERVER_URL
    )]
    pub metrics_server_url: String,
    /// Verify TLS certificates of the metrics endpoints (true/false).
    #[arg(
        long,
        env = "VERIFY_CERT",
        value_name = "BOOL",
        default_value_t = DEFAULT_VERIFY_CERT.to_string()
    )]
    pub verify_cert: String,
    /// Seconds between metrics reads (> 0).
    #[arg(
        long,
        env = "METRICS_FETCH_INTERVAL",
        allow_negative_numbers = true,
        value_name = "SECONDS",
        default_value_t = DEFAULT_METRICS_FETCH_INTERVAL_SECONDS.to_string()
    )]
    pub metrics_fetch_interval: String,
    /// URL of kube-state-metrics (not set: not used).
    #[arg(long, env = "KUBE_STATE_METRICS_URL", value_name = "URL")]
    pub kube_state_metrics_url: Option<String>,
}

/// [`MetricsArgs`], validated.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsConfig {
    pub metrics_server_url: String,
    pub verify_cert: bool,
    pub fetch_interval: Duration,
    pub kube_state_metrics_url: Option<String>,
}

impl MetricsArgs {
    pub fn config(&self) -> Result<MetricsConfig, ConfigError> {
        let interval = positive("METRICS_FETCH_INTERVAL", &self.metrics_fetch_interval)?;
        let ksm = self
            .kube_state_metrics_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        Ok(MetricsConfig {
            metrics_server_url: url("METRICS_SERVER_URL", &self.metrics_server_url)?,
            verify_cert: boolean("VERIFY_CERT", &self.verify_cert)?,
            fetch_interval: Duration::from_secs_f64(interval),
            kube_state_metrics_url: ksm.map(|u| url("KUBE_STATE_METRICS_URL", u)).transpose()?,
        })
    }
}

/// Which pods are watched.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct SelectorArgs {
    /// Label selector of the pods to manage (not set: all pods of opted-in namespaces).
    #[arg(long, env = "LABEL_SELECTOR", value_name = "SELECTOR")]
    pub label_selector: Option<String>,
}

impl SelectorArgs {
    /// The selector, or `None` when unset or blank. Its syntax is checked by the API server on
    /// the first list call.
    pub fn selector(&self) -> Option<&str> {
        self.label_selector
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// Log verbosity, with the original controller's (Python logging) names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
}

impl LogLevel {
    /// The `tracing` filter directive for this level.
    pub fn directive(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warning => "warn",
            Self::Error => "error",
        }
    }
}

impl FromStr for LogLevel {
    type Err = ConfigError;
    /// DEBUG, INFO, WARNING, ERROR as in ORIGINAL.md, any case; also TRACE, WARN, and Python's
    /// CRITICAL/FATAL (read as ERROR, the most severe level `tracing` has).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TRACE" => Ok(Self::Trace),
            "DEBUG" => Ok(Self::Debug),
            "INFO" => Ok(Self::Info),
            "WARNING" | "WARN" => Ok(Self::Warning),
            "ERROR" | "CRITICAL" | "FATAL" => Ok(Self::Error),
            _ => Err(ConfigError::invalid(
                "LOG_LEVEL",
                s,
                "expected DEBUG, INFO, WARNING or ERROR",
            )),
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
        })
    }
}

/// Logging.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct LoggingArgs {
    /// Log level: DEBUG, INFO, WARNING or ERROR.
    #[arg(
        long,
        env = "LOG_LEVEL",
        value_name = "LEVEL",
        default_value_t = DEFAULT_LOG_LEVEL.to_string()
    )]
    pub log_level: String,
}

impl LoggingArgs {
    pub fn level(&self) -> Result<LogLevel, ConfigError> {
        self.log_level.parse()
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

fn non_negative(var: &'static str, value: &str) -> Result<f64, ConfigError> {
    let x = number(var, value)?;
    if x >= 0.0 {
        Ok(x)
    } else {
        Err(ConfigError::invalid(var, value, "must not be negative"))
    }
}

/// true/false, any case, plus the usual 1/0, yes/no, on/off.
fn boolean(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::invalid(var, value, "expected true or false")),
    }
}

/// An http(s) URL with a host; the rest is checked when it is first used.
fn url(var: &'static str, value: &str) -> Result<String, ConfigError> {
    let v = value.trim();
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace) => {
            Ok(v.to_owned())
        }
        _ => Err(ConfigError::invalid(
            var,
            value,
            "expected an http:// or https:// URL",
        )),
    }
}

#[cfg(test)]
mod tests;
