//! The `evaluate` subcommand: arguments, their parsing (durations, memory quantities) and the
//! run that prints the report. `main.rs` only dispatches here. The tunables of `seed` and
//! `rightsize` are the controller's own configuration groups (`rightsize_policy::config`), so a
//! replay runs with exactly the flags and environment variables the controller would read.
use std::io::Write;
use std::path::PathBuf;

use rightsize_policy::config::{ConfigError, RightsizeArgs, SeedArgs};
use rightsize_policy::quantity::{NANOS_PER_UNIT, Quantity};
use thiserror::Error;

use super::engine::{DEFAULT_MEMORY, DEFAULT_ROLLOUT_SECONDS, ReplayOptions};
use super::registry::{DEFAULT_POLICIES, Registry};
use super::report::Report;
use super::robust::{self, DEFAULT_SEED, Half};
use super::trace::{TraceError, load_dir};

/// Why an evaluation could not run.
#[derive(Debug, Error)]
pub enum EvaluateError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error("unknown policy `{name}`; known: {known}")]
    UnknownPolicy { name: String, known: String },
    #[error("cannot write the picture {}: {source}", path.display())]
    Svg {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the report: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
}

impl EvaluateError {
    /// Whether the reader of the report went away (`evaluate --json | head`): not a failure of
    /// the evaluation, so the command ends quietly, as Unix tools do.
    pub fn is_broken_pipe(&self) -> bool {
        let kind = match self {
            Self::Write(e) => Some(e.kind()),
            Self::Json(e) => e.io_error_kind(),
            _ => None,
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    }
}

/// A command-line value that does not parse.
#[derive(Debug, Error, PartialEq)]
pub enum ArgError {
    #[error(
        "invalid duration `{0}`: expected seconds or a number with s, m, h or d (86400, 24h, 90m, 30s, 0)"
    )]
    Duration(String),
    #[error(
        "invalid memory quantity `{input}`: {reason}; expected bytes or a number with a suffix such as Mi, Gi, M, G (256Mi, 1Gi, 500M)"
    )]
    Quantity { input: String, reason: String },
}

/// `rightsize-sim evaluate`: replay traces through policies and score them.
#[derive(Debug, Clone, clap::Args)]
pub struct EvaluateArgs {
    /// Trace directory: DIR/<workload>/<replica>.csv.
    #[arg(long, value_name = "DIR")]
    pub traces: PathBuf,
    /// Policy to replay; repeat for several. Default: static, trace, seed, vpa, krr, rightsize.
    /// Also known: oracle (each sample's own peak, no delay).
    #[arg(long = "policy", value_name = "NAME")]
    pub policies: Vec<String>,
    /// Age at which a replica's pod is replaced, so admission acts again; 0 never replaces.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    pub rollout: f64,
    /// Declared memory of a replica whose trace has no provisioned size.
    #[arg(long, value_name = "QUANTITY", default_value = "256Mi", value_parser = parse_memory)]
    pub default_memory: f64,
    /// Print one JSON object keyed by policy name instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Also report every workload.
    #[arg(long)]
    pub per_workload: bool,
    /// Also write a picture of slack against OOM kills (one panel per source and overall, one
    /// point per policy) to this SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Replay only every other workload of each source, in name order (odd: the 1st, 3rd, …):
    /// tune on one half, check on the other.
    #[arg(long, value_enum, value_name = "HALF")]
    pub half: Option<Half>,
    /// Also measure how robust rightsize's win over vpa is (both are replayed): N bootstrap
    /// resamples of the workloads of each source (200 without N), and the odd and even halves.
    /// With --json the object gains a `robustness` entry.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "200")]
    pub bootstrap: Option<usize>,
    /// Seed of the bootstrap draws (the same seed gives the same draws).
    #[arg(long, value_name = "SEED", default_value_t = DEFAULT_SEED)]
    pub bootstrap_seed: u64,
    #[command(
        flatten,
        next_help_heading = "Policy seed (the original controller's variables)"
    )]
    pub seed: SeedArgs,
    #[command(flatten, next_help_heading = "Policy rightsize")]
    pub rightsize: RightsizeArgs,
}

impl EvaluateArgs {
    /// Arguments for `dir` with every default.
    pub fn for_traces(dir: impl Into<PathBuf>) -> Self {
        Self {
            traces: dir.into(),
            policies: Vec::new(),
            rollout: DEFAULT_ROLLOUT_SECONDS,
            default_memory: DEFAULT_MEMORY,
            json: false,
            per_workload: false,
            svg: None,
            half: None,
            bootstrap: None,
            bootstrap_seed: DEFAULT_SEED,
            seed: SeedArgs::default(),
            rightsize: RightsizeArgs::default(),
        }
    }

    /// Loads the traces, replays them under the built-in policies, `seed` and `rightsize` tuned
    /// by their flags and variables, and writes the report. An invalid tunable is an error
    /// naming its variable, even when its policy is not replayed (as the controller fails at
    /// start).
    pub fn run(&self, out: &mut dyn Write) -> Result<(), EvaluateError> {
        let registry = Registry::with_params(self.seed.params()?, self.rightsize.params()?);
        self.run_with(&registry, out)
    }

    /// As `run`, with the policies of `registry` as they are: the `seed` and `rightsize`
    /// tunables of `self` are not applied.
    pub fn run_with(&self, registry: &Registry, out: &mut dyn Write) -> Result<(), EvaluateError> {
        let mut names: Vec<&str> = if self.policies.is_empty() {
            DEFAULT_POLICIES.to_vec()
        } else {
            self.policies.iter().map(String::as_str).collect()
        };
        if self.bootstrap.is_some() {
            names.extend([robust::CHALLENGER, robust::BASELINE]);
        }
        // `--policy vpa --policy vpa` asks for one row, not two identical ones.
        let mut seen = std::collections::HashSet::new();
        names.retain(|n| seen.insert(*n));
        let policies = names
            .iter()
            .map(|&name| {
                registry
                    .get(name)
                    .ok_or_else(|| EvaluateError::UnknownPolicy {
                        name: name.to_owned(),
                        known: registry.names().collect::<Vec<_>>().join(", "),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut workloads = load_dir(&self.traces)?;
        if let Some(half) = self.half {
            workloads = half.select(workloads);
        }
        let options = ReplayOptions {
            rollout: self.rollout,
            default_memory: self.default_memory,
        };
        let runs = super::replay_all(&workloads, &policies, &options);
        let report = Report::new(&runs, self.per_workload);
        let robustness = self.bootstrap.map(|resamples| {
            let run = |name| {
                runs.iter()
                    .find(|r| r.name == name)
                    .expect("replayed above")
            };
            robust::compare(
                run(robust::CHALLENGER),
                run(robust::BASELINE),
                resamples,
                self.bootstrap_seed,
            )
        });
        if let Some(path) = &self.svg {
            std::fs::write(path, super::svg::render(&report)).map_err(|source| {
                EvaluateError::Svg {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        match (self.json, robustness) {
            (true, None) => serde_json::to_writer_pretty(&mut *out, &report)?,
            (true, Some(robustness)) => {
                let mut value = serde_json::to_value(&report)?;
                if let Some(map) = value.as_object_mut() {
                    map.insert("robustness".to_owned(), serde_json::to_value(robustness)?);
                }
                serde_json::to_writer_pretty(&mut *out, &value)?;
            }
            (false, robustness) => {
                write!(out, "{}", report.table())?;
                if let Some(robustness) = robustness {
                    write!(out, "{}", robustness.table())?;
                }
            }
        }
        if self.json {
            writeln!(out)?;
        }
        Ok(())
    }
}

/// Seconds from `86400`, `24h`, `90m`, `30s`, `2d` or `0` (the simulator's one duration
/// parser, [`rightsize_sim_cluster::duration::parse_secs`]).
pub fn parse_duration(text: &str) -> Result<f64, ArgError> {
    rightsize_sim_cluster::duration::parse_secs(text)
        .ok_or_else(|| ArgError::Duration(text.to_owned()))
}

/// Bytes from a Kubernetes memory quantity, read by the policy crate's parser
/// ([`Quantity::parse`]) so the CLI and the controller accept the same strings: plain or exponent
/// numbers (`268435456`, `1e9`), binary suffixes (`Ki` .. `Ei`) and decimal ones (`k`, `M` ..
/// `E`). Surrounding blanks are ignored. Negative amounts and fractions of a byte (`100m`, `1.5`)
/// are refused: the API server accepts them, but they are never meant for memory.
pub fn parse_memory(text: &str) -> Result<f64, ArgError> {
    let err = |reason: String| ArgError::Quantity {
        input: text.to_owned(),
        reason,
    };
    let q = Quantity::parse(text.trim()).map_err(|e| err(e.kind.to_string()))?;
    if q.nanos() < 0 {
        return Err(err("negative amount".to_owned()));
    }
    if q.nanos() % NANOS_PER_UNIT != 0 {
        return Err(err("not a whole number of bytes".to_owned()));
    }
    // Whole bytes: exact in f64 up to 2^53 (8 PiB).
    Ok(q.as_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_accepted_form() {
        assert_eq!(parse_duration("86400"), Ok(86400.0));
        assert_eq!(parse_duration("24h"), Ok(86400.0));
        assert_eq!(parse_duration("90m"), Ok(5400.0));
        assert_eq!(parse_duration("30s"), Ok(30.0));
        assert_eq!(parse_duration("2d"), Ok(172800.0));
        assert_eq!(parse_duration("0"), Ok(0.0));
        assert_eq!(parse_duration("1.5h"), Ok(5400.0));
        for bad in ["", "h", "24x", "-5", "1e3", "24 h h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn memory_quantities() {
        assert_eq!(parse_memory("256Mi"), Ok(268435456.0));
        assert_eq!(parse_memory("268435456"), Ok(268435456.0));
        assert_eq!(parse_memory("0.5Gi"), Ok(536870912.0));
        assert_eq!(parse_memory("1G"), Ok(1e9));
        assert_eq!(parse_memory("1e9"), Ok(1e9));
        assert_eq!(parse_memory("128k"), Ok(128000.0));
        assert_eq!(parse_memory(" 1Gi "), Ok(1073741824.0));
        // Forms the API server accepts that the old hand-written parser did not.
        assert_eq!(parse_memory("+1Gi"), Ok(1073741824.0));
        assert_eq!(parse_memory("1000m"), Ok(1.0));
        for bad in ["", "Mi", "12Xi", "-1Gi", "100m", "1.5", "1..2", "1 Gi"] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn memory_errors_name_the_input_and_the_reason() {
        let msg = |text: &str| parse_memory(text).unwrap_err().to_string();
        assert!(
            msg("12Xi")
                .starts_with("invalid memory quantity `12Xi`: unknown suffix \"Xi\"; expected"),
            "{}",
            msg("12Xi")
        );
        assert!(
            msg("100m").starts_with("invalid memory quantity `100m`: not a whole number of bytes;")
        );
        assert!(msg("-1Gi").starts_with("invalid memory quantity `-1Gi`: negative amount;"));
        assert!(msg("").starts_with("invalid memory quantity ``: empty string;"));
    }

    #[test]
    fn a_bare_bootstrap_flag_draws_the_default_number_of_resamples() {
        // clap's derive takes `default_missing_value` as a string only: it must say
        // `robust::DEFAULT_RESAMPLES`.
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            evaluate: EvaluateArgs,
        }
        let parse = |args: &[&str]| {
            <Cli as clap::Parser>::try_parse_from(["evaluate", "--traces", "t"].iter().chain(args))
                .unwrap()
                .evaluate
        };
        assert_eq!(
            parse(&["--bootstrap"]).bootstrap,
            Some(robust::DEFAULT_RESAMPLES)
        );
        assert_eq!(parse(&["--bootstrap", "7"]).bootstrap, Some(7));
        assert_eq!(parse(&[]).bootstrap, None);
    }

    #[test]
    fn unknown_policy_is_named_with_the_known_ones() {
        let mut args = EvaluateArgs::for_traces("/nonexistent");
        args.policies = vec!["nope".to_owned()];
        let e = args.run(&mut Vec::new()).unwrap_err().to_string();
        assert!(
            e.starts_with("unknown policy `nope`; known: static, trace"),
            "{e}"
        );
    }
}
