//! The webhook's admission flags (`RECOMMEND_ONLY` and the configured bounds), each also an
//! environment variable (DESIGN §4), turned into an [`AdmissionConfig`] by [`AdmissionArgs::config`].

use rightsize_policy::config::{ConfigError, PolicyArgs};
use rightsize_policy::quantity::Quantity;

use super::context::{AdmissionConfig, Bounds, PolicyConfig};

/// `RECOMMEND_ONLY`: off, the webhook sizes pods (a dry run is opt-in).
pub const DEFAULT_RECOMMEND_ONLY: bool = false;

/// Admission settings; flatten into the binary's arguments with `#[command(flatten)]`.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct AdmissionArgs {
    /// Only annotate pods with the recommendation (`rightsize.dev/recommendation`), change
    /// nothing: a dry run of the whole webhook.
    #[arg(
        long,
        env = "RECOMMEND_ONLY",
        value_name = "BOOL",
        default_value_t = DEFAULT_RECOMMEND_ONLY,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub recommend_only: bool,
    /// Smallest memory request the webhook sets (a quantity such as 16Mi); none by default.
    #[arg(long, env = "MIN_MEMORY", value_name = "QUANTITY")]
    pub min_memory: Option<String>,
    /// Largest memory request the webhook sets (a quantity such as 8Gi); none by default.
    #[arg(long, env = "MAX_MEMORY", value_name = "QUANTITY")]
    pub max_memory: Option<String>,
    /// Smallest cpu request the webhook sets (a quantity such as 10m); none by default.
    #[arg(long, env = "MIN_CPU", value_name = "QUANTITY")]
    pub min_cpu: Option<String>,
    /// Largest cpu request the webhook sets (a quantity such as 4); none by default.
    #[arg(long, env = "MAX_CPU", value_name = "QUANTITY")]
    pub max_cpu: Option<String>,
}

impl Default for AdmissionArgs {
    fn default() -> Self {
        Self {
            recommend_only: DEFAULT_RECOMMEND_ONLY,
            min_memory: None,
            max_memory: None,
            min_cpu: None,
            max_cpu: None,
        }
    }
}

impl AdmissionArgs {
    /// Validate the flags into the admission configuration, with the policy `policy` chooses.
    pub fn config(&self, policy: &PolicyArgs) -> Result<AdmissionConfig, ConfigError> {
        let bounds = Bounds {
            min_memory: quantity("MIN_MEMORY", self.min_memory.as_deref())?,
            max_memory: quantity("MAX_MEMORY", self.max_memory.as_deref())?,
            min_cpu: quantity("MIN_CPU", self.min_cpu.as_deref())?,
            max_cpu: quantity("MAX_CPU", self.max_cpu.as_deref())?,
        };
        for (var, min, other, max) in [
            (
                "MIN_MEMORY",
                bounds.min_memory,
                "MAX_MEMORY",
                bounds.max_memory,
            ),
            ("MIN_CPU", bounds.min_cpu, "MAX_CPU", bounds.max_cpu),
        ] {
            if let (Some(lo), Some(hi)) = (min, max)
                && lo > hi
            {
                return Err(ConfigError::NotBelow {
                    var,
                    value: lo.to_string(),
                    other,
                    other_value: hi.to_string(),
                });
            }
        }
        Ok(AdmissionConfig {
            recommend_only: self.recommend_only,
            bounds,
            policy: PolicyConfig::from_args(policy)?,
        })
    }
}

/// A non-negative quantity, or none when the variable is unset or empty.
fn quantity(var: &'static str, value: Option<&str>) -> Result<Option<Quantity>, ConfigError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match Quantity::parse(value) {
        Ok(q) if q.nanos() >= 0 => Ok(Some(q)),
        Ok(_) => Err(ConfigError::Invalid {
            var,
            value: value.to_owned(),
            reason: "must not be negative".into(),
        }),
        Err(e) => Err(ConfigError::Invalid {
            var,
            value: value.to_owned(),
            reason: e.kind.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        admission: AdmissionArgs,
        #[command(flatten)]
        policy: PolicyArgs,
    }

    fn parse(args: &[&str]) -> Result<AdmissionConfig, ConfigError> {
        let cli = Cli::try_parse_from(std::iter::once("webhook").chain(args.iter().copied()))
            .expect("flags parse");
        cli.admission.config(&cli.policy)
    }

    #[test]
    fn defaults_size_pods_without_bounds() {
        let config = parse(&[]).unwrap();
        assert!(!config.recommend_only);
        assert_eq!(config.bounds, Bounds::default());
        assert_eq!(config.policy, PolicyConfig::default());
    }

    #[test]
    fn recommend_only_and_bounds_are_read_as_quantities() {
        let config = parse(&[
            "--recommend-only",
            "true",
            "--min-memory",
            "0.5Gi",
            "--max-cpu",
            "2000m",
        ])
        .unwrap();
        assert!(config.recommend_only);
        assert_eq!(config.bounds.min_memory, Some("512Mi".parse().unwrap()));
        assert_eq!(config.bounds.max_cpu, Some("2".parse().unwrap()));
        assert!(parse(&["--recommend-only"]).unwrap().recommend_only);
        assert!(
            !parse(&["--recommend-only", "false"])
                .unwrap()
                .recommend_only
        );
    }

    #[test]
    fn bad_bound_names_its_variable() {
        let err = parse(&["--max-memory", "lots"]).unwrap_err();
        assert_eq!(err.var(), "MAX_MEMORY");
        let err = parse(&["--min-cpu", "2", "--max-cpu", "1"]).unwrap_err();
        assert_eq!(err.var(), "MIN_CPU");
    }
}
