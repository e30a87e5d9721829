//! The `seed` and `rightsize` tunables of `evaluate` (the controller's own variables, DESIGN §4):
//! flags and environment variables reach the replayed policies, the defaults change nothing, and
//! an invalid value stops the run with a message naming its variable.
mod common;

use std::process::Command;

use clap::{CommandFactory, FromArgMatches, Parser};
use common::bundled_traces;
use rightsize_policy::config::{RightsizeArgs, SeedArgs};
use rightsize_policy::rightsize::RightsizeParams;
use rightsize_policy::seed::SeedParams;
use rightsize_sim::evaluate::Registry;
use rightsize_sim::evaluate::cli::EvaluateArgs;
use serde_json::Value;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    evaluate: EvaluateArgs,
}

/// `evaluate --traces <bundled> --json --policy seed --policy rightsize FLAGS`, parsed from the
/// flags only: the test process's environment is ignored (tests may not change it).
fn parse(flags: &[&str]) -> EvaluateArgs {
    let traces = bundled_traces();
    let base = [
        "evaluate",
        "--traces",
        traces.to_str().expect("utf-8 path"),
        "--json",
        "--policy",
        "seed",
        "--policy",
        "rightsize",
    ];
    let matches = Cli::command()
        .mut_args(|a| a.env(None::<&'static str>))
        .try_get_matches_from(base.into_iter().chain(flags.iter().copied()))
        .expect("flags parse");
    Cli::from_arg_matches(&matches)
        .expect("flags parse")
        .evaluate
}

/// The JSON report without its wall times.
fn figures(json: &[u8]) -> Value {
    fn strip(v: &mut Value) {
        if let Some(map) = v.as_object_mut() {
            map.remove("replay_seconds");
            map.values_mut().for_each(strip);
        }
    }
    let mut v: Value = serde_json::from_slice(json).expect("one JSON object");
    strip(&mut v);
    v
}

fn run(args: &EvaluateArgs) -> Value {
    let mut out = Vec::new();
    args.run(&mut out).expect("evaluate runs");
    figures(&out)
}

fn run_with(args: &EvaluateArgs, registry: &Registry) -> Value {
    let mut out = Vec::new();
    args.run_with(registry, &mut out).expect("evaluate runs");
    figures(&out)
}

#[test]
fn without_flags_the_policies_run_with_their_defaults() {
    let args = parse(&[]);
    assert_eq!(args.seed, SeedArgs::default());
    assert_eq!(args.rightsize, RightsizeArgs::default());
    assert_eq!(run(&args), run_with(&args, &Registry::builtin()));
}

#[test]
fn one_flag_per_group_reaches_its_policy() {
    let args = parse(&[
        "--rightsize-burst-headroom-at-1gi",
        "512Mi",
        "--scale-up-threshold",
        "0.7",
    ]);
    let tuned = Registry::with_params(
        SeedParams {
            scale_up_threshold: 0.7,
            ..SeedParams::default()
        },
        RightsizeParams {
            burst_headroom_at_1gib: 512.0 * 1_048_576.0,
            ..RightsizeParams::default()
        },
    );
    let got = run(&args);
    assert_eq!(got, run_with(&args, &tuned));
    // And the values make a difference on these traces, so the comparison above means something.
    let default = run_with(&args, &Registry::builtin());
    for policy in ["seed", "rightsize"] {
        assert_ne!(got[policy], default[policy], "{policy} unchanged");
    }
}

#[test]
fn an_invalid_value_names_its_variable_even_for_a_policy_not_replayed() {
    for (flags, expected) in [
        (
            ["--rightsize-quantile", "0"],
            "RIGHTSIZE_QUANTILE=0: expected a quantile in (0, 1]",
        ),
        (
            ["--scale-up-threshold", "abc"],
            "SCALE_UP_THRESHOLD=abc: not a number",
        ),
    ] {
        let mut args = parse(&flags);
        args.policies = vec!["static".to_owned()];
        let err = args.run(&mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), expected, "{flags:?}");
    }
}

/// The binary, with an environment holding only `vars`.
fn binary(vars: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rightsize-sim"))
        .args([
            "evaluate",
            "--json",
            "--policy",
            "seed",
            "--policy",
            "rightsize",
        ])
        .arg("--traces")
        .arg(bundled_traces())
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("rightsize-sim runs")
}

#[test]
fn environment_variables_work_like_flags() {
    let out = binary(&[
        ("RIGHTSIZE_BURST_HEADROOM_AT_1GI", "512Mi"),
        ("SCALE_UP_THRESHOLD", "0.7"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flags = parse(&[
        "--rightsize-burst-headroom-at-1gi",
        "512Mi",
        "--scale-up-threshold",
        "0.7",
    ]);
    assert_eq!(figures(&out.stdout), run(&flags));

    let out = binary(&[("RIGHTSIZE_FLOOR", "16Xi")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("RIGHTSIZE_FLOOR=16Xi: expected a memory quantity"),
        "{stderr}"
    );
}
