//! Log verbosity (`LOG_LEVEL`), with the original controller's level names.
use std::fmt;
use std::str::FromStr;

use super::ConfigError;

/// `LOG_LEVEL` (ORIGINAL.md: `INFO`).
pub const DEFAULT_LOG_LEVEL: LogLevel = LogLevel::Info;

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
