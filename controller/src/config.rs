//! Command line and environment (every flag `--kebab-case` and its ORIGINAL.md variable), made
//! of the policy crate's groups, and the validated [`Settings`] the controller runs with.

use clap::Parser;
use rightsize_policy::config::{
    ConfigError, ControllerArgs, ControllerConfig, LogLevel, LoggingArgs, MetricsArgs,
    MetricsConfig, PolicyArgs, PolicyName, SelectorArgs,
};

use crate::sizers::PolicyChoice;

/// `rightsize-controller`: resizes running pods in place from their observed memory usage.
#[derive(Parser, Clone, Debug)]
#[command(name = "rightsize-controller", version, about)]
pub struct Args {
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub selector: SelectorArgs,
    #[command(flatten)]
    pub logging: LoggingArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub controller: ControllerArgs,
}

/// Everything validated; invalid values stop the program at start with a message naming the
/// variable (DESIGN §4).
#[derive(Clone, Debug)]
pub struct Settings {
    pub metrics: MetricsConfig,
    pub selector: Option<String>,
    pub log_level: LogLevel,
    pub policy: PolicyChoice,
    pub controller: ControllerConfig,
}

impl Args {
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let policy = match self.policy.policy()? {
            PolicyName::Seed => PolicyChoice::Seed(self.policy.seed.params()?),
            PolicyName::Rightsize => PolicyChoice::Rightsize(self.policy.rightsize.params()?),
        };
        Ok(Settings {
            metrics: self.metrics.config()?,
            selector: self.selector.selector().map(str::to_owned),
            log_level: self.logging.level()?,
            policy,
            controller: self.controller.config()?,
        })
    }
}

impl Settings {
    /// Settings from flags only (tests: the environment of the test process is ignored).
    pub fn from_flags<I: IntoIterator<Item = S>, S: Into<String>>(
        flags: I,
    ) -> Result<Self, anyhow::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let cmd = Args::command()
            .args_override_self(true)
            .mut_args(|a| a.env(None::<&'static str>));
        let args: Vec<String> = std::iter::once("rightsize-controller".to_owned())
            .chain(flags.into_iter().map(Into::into))
            .collect();
        let matches = cmd.try_get_matches_from(args)?;
        Ok(Args::from_arg_matches(&matches)?.settings()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_original_variable_is_a_flag_with_its_environment_name() {
        let cmd = Args::command();
        let ours = [
            "METRICS_SOURCE",
            "RECOMMEND_ONLY",
            "NAMESPACE_LABEL",
            "POLICY",
        ];
        for var in rightsize_policy::config::ORIGINAL_VARIABLES
            .into_iter()
            .chain(ours)
        {
            let found = cmd
                .get_arguments()
                .any(|a| a.get_env().is_some_and(|e| e == var));
            assert!(found, "{var} has no flag");
        }
    }

    #[test]
    fn bare_binary_reads_metrics_server_by_url_with_the_rightsize_policy() {
        let s = Settings::from_flags(Vec::<String>::new()).unwrap();
        assert_eq!(
            s.metrics.metrics_server_url,
            "https://metrics-server.kube-system.svc.cluster.local"
        );
        assert!(s.metrics.verify_cert);
        assert_eq!(
            s.controller.metrics_source,
            rightsize_policy::config::MetricsSource::Url
        );
        assert!(matches!(s.policy, PolicyChoice::Rightsize(_)));
        let s = Settings::from_flags(["--policy", "seed"]).unwrap();
        assert!(matches!(s.policy, PolicyChoice::Seed(_)));
    }

    #[test]
    fn invalid_value_names_the_variable() {
        let e = Settings::from_flags(["--metrics-fetch-interval", "0"]).unwrap_err();
        assert!(e.to_string().starts_with("METRICS_FETCH_INTERVAL=0"), "{e}");
    }
}
