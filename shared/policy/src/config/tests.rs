//! Configuration tests. clap reads the process environment at parse time and tests may not
//! change it (`set_var` is unsafe, and the workspace forbids unsafe code), so the test command
//! has its `env` bindings removed and values come as flags; the bindings themselves are checked
//! by introspecting the command.
use std::time::Duration;

use super::*;
use crate::seed::{MIB, SeedParams};
use clap::{CommandFactory, Parser};

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    metrics: MetricsArgs,
    #[command(flatten)]
    logging: LoggingArgs,
    #[command(flatten)]
    selector: SelectorArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// Parse flags only into `C`, whatever the environment of the test process holds (also used by
/// the tests of the `RIGHTSIZE_*` group).
pub(super) fn parse_flags<C: Parser>(args: &[&str]) -> C {
    let cmd = C::command().mut_args(|a| a.env(None::<&'static str>));
    let matches = cmd
        .try_get_matches_from(std::iter::once("rightsize").chain(args.iter().copied()))
        .unwrap();
    C::from_arg_matches(&matches).unwrap()
}

fn parse(args: &[&str]) -> Cli {
    parse_flags(args)
}

/// Every variable of ORIGINAL.md (table and text), plus POLICY.
fn variables() -> impl Iterator<Item = &'static str> {
    ORIGINAL_VARIABLES.into_iter().chain(["POLICY"])
}

/// One per field of `RightsizeParams`.
pub(super) const RIGHTSIZE_VARIABLES: [&str; 21] = [
    "RIGHTSIZE_MARGIN",
    "RIGHTSIZE_RECENT_HOURS",
    "RIGHTSIZE_QUANTILE",
    "RIGHTSIZE_QUANTILE_HALF_LIFE_HOURS",
    "RIGHTSIZE_WEEKLY_WEEKS",
    "RIGHTSIZE_WEEKLY_JITTER_HOURS",
    "RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS",
    "RIGHTSIZE_CONFIDENCE_HOURS",
    "RIGHTSIZE_CONFIDENCE_K",
    "RIGHTSIZE_CONFIDENCE_CAP",
    "RIGHTSIZE_OOM_BUMP",
    "RIGHTSIZE_GROW_AT",
    "RIGHTSIZE_GROW_HYSTERESIS",
    "RIGHTSIZE_SHRINK_TO_BAND",
    "RIGHTSIZE_GROW_TO_BAND",
    "RIGHTSIZE_DOWN_HYSTERESIS",
    "RIGHTSIZE_DOWN_INTERVAL_SECONDS",
    "RIGHTSIZE_BURST_HEADROOM_AT_1GI",
    "RIGHTSIZE_BURST_EXPONENT",
    "RIGHTSIZE_BURST_SPREAD_FACTOR",
    "RIGHTSIZE_FLOOR",
];

#[test]
fn every_variable_is_read_from_the_environment_and_a_kebab_case_flag() {
    let cmd = Cli::command();
    for var in variables().chain(RIGHTSIZE_VARIABLES) {
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_env().and_then(|e| e.to_str()) == Some(var))
            .unwrap_or_else(|| panic!("no argument reads {var}"));
        let flag = var.to_ascii_lowercase().replace('_', "-");
        assert_eq!(arg.get_long(), Some(flag.as_str()), "{var}");
    }
    let with_env = cmd
        .get_arguments()
        .filter(|a| a.get_env().is_some())
        .count();
    assert_eq!(
        with_env,
        variables().count() + RIGHTSIZE_VARIABLES.len(),
        "an argument without a test"
    );
}

#[test]
fn defaults_are_those_of_the_original_controller() {
    let cli = parse(&[]);
    assert_eq!(
        cli.metrics.config().unwrap(),
        MetricsConfig {
            metrics_server_url: "https://metrics-server.kube-system.svc.cluster.local".into(),
            verify_cert: true,
            fetch_interval: Duration::from_secs(30),
            kube_state_metrics_url: None,
        }
    );
    assert_eq!(cli.logging.level().unwrap(), LogLevel::Info);
    assert_eq!(cli.selector.selector(), None);
    assert_eq!(cli.policy.policy().unwrap(), PolicyName::Rightsize);
    let p = cli.policy.seed.params().unwrap();
    assert_eq!(p.scale_up_threshold, 0.8);
    assert_eq!(p.scale_up_usage_multiplier, 1.4);
    assert_eq!(p.scale_up_min_growth, 1.2);
    assert_eq!(p.scale_down_threshold, 0.3);
    assert_eq!(p.scale_down_usage_multiplier, 2.5);
    assert_eq!(p.scale_down_min_diff, 0.2);
    assert_eq!(p.cooldown_seconds, 600.0);
    assert_eq!(p.min_request_bytes, 100.0 * 1_048_576.0);
    assert_eq!(p, SeedParams::default(), "config and seed defaults agree");
    assert_eq!(cli.policy.seed, SeedArgs::default());
    assert_eq!(cli.policy.rightsize, RightsizeArgs::default());
}

#[test]
fn help_shows_each_variable_and_default() {
    let help = Cli::command().render_help().to_string();
    for needle in [
        "--scale-up-threshold <RATIO>",
        "[env: SCALE_UP_THRESHOLD=",
        "[default: 0.8]",
        "[default: 600]",
        "[default: https://metrics-server.kube-system.svc.cluster.local]",
        "[default: INFO]",
        "[default: rightsize]",
        "--rightsize-burst-headroom-at-1gi <QUANTITY>",
        "[env: RIGHTSIZE_FLOOR=",
        "[default: 500Mi]",
        "[default: 14400]",
    ] {
        assert!(help.contains(needle), "{needle} missing from\n{help}");
    }
}

#[test]
fn flags_override_the_defaults() {
    let cli = parse(&[
        "--scale-up-threshold",
        "0.9",
        "--scale-up-usage-multiplier",
        "1.5",
        "--scale-up-min-growth",
        "1.1",
        "--scale-down-threshold",
        "0.25",
        "--scale-down-usage-multiplier",
        "3",
        "--scale-down-min-diff",
        "0",
        "--cooldown-period-seconds",
        "0",
        "--min-request-memory",
        "64",
        "--policy",
        "SEED",
        "--metrics-server-url",
        "http://localhost:8443/",
        "--verify-cert",
        "False",
        "--metrics-fetch-interval",
        "15",
        "--kube-state-metrics-url",
        "http://ksm.monitoring:8080",
        "--log-level",
        "debug",
        "--label-selector",
        "app=web,tier!=db",
    ]);
    let p = cli.policy.seed.params().unwrap();
    assert_eq!(
        p,
        SeedParams {
            scale_up_threshold: 0.9,
            scale_up_usage_multiplier: 1.5,
            scale_up_min_growth: 1.1,
            scale_down_threshold: 0.25,
            scale_down_usage_multiplier: 3.0,
            scale_down_min_diff: 0.0,
            cooldown_seconds: 0.0,
            min_request_bytes: 64.0 * MIB,
        }
    );
    assert_eq!(cli.policy.policy().unwrap(), PolicyName::Seed);
    let m = cli.metrics.config().unwrap();
    assert!(!m.verify_cert);
    assert_eq!(m.fetch_interval, Duration::from_secs(15));
    assert_eq!(
        m.kube_state_metrics_url.as_deref(),
        Some("http://ksm.monitoring:8080")
    );
    assert_eq!(cli.logging.level().unwrap(), LogLevel::Debug);
    assert_eq!(cli.selector.selector(), Some("app=web,tier!=db"));
}

#[test]
fn invalid_values_are_reported_with_the_variable_name() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--scale-up-threshold", "abc"],
            "SCALE_UP_THRESHOLD=abc: not a number",
        ),
        (
            &["--scale-up-threshold", ""],
            "SCALE_UP_THRESHOLD=: not a number",
        ),
        (
            &["--scale-up-threshold", "NaN"],
            "SCALE_UP_THRESHOLD=NaN: not a number",
        ),
        (
            &["--scale-up-threshold", "0"],
            "SCALE_UP_THRESHOLD=0: expected a ratio in (0, 1]",
        ),
        (
            &["--scale-up-threshold", "1.5"],
            "SCALE_UP_THRESHOLD=1.5: expected a ratio in (0, 1]",
        ),
        (
            &["--scale-down-threshold=-0.1"],
            "SCALE_DOWN_THRESHOLD=-0.1: expected a ratio in (0, 1]",
        ),
        (
            &["--scale-up-usage-multiplier", "0"],
            "SCALE_UP_USAGE_MULTIPLIER=0: must be greater than 0",
        ),
        (
            &["--scale-up-min-growth=-1"],
            "SCALE_UP_MIN_GROWTH=-1: must be greater than 0",
        ),
        (
            &["--scale-down-usage-multiplier", "inf"],
            "SCALE_DOWN_USAGE_MULTIPLIER=inf: not a number",
        ),
        (
            &["--scale-down-min-diff", "1"],
            "SCALE_DOWN_MIN_DIFF=1: expected a fraction in [0, 1)",
        ),
        (
            &["--cooldown-period-seconds", "-5"],
            "COOLDOWN_PERIOD_SECONDS=-5: must not be negative",
        ),
        (
            &["--cooldown-period-seconds", "10m"],
            "COOLDOWN_PERIOD_SECONDS=10m: not a number",
        ),
        (
            &["--min-request-memory", "100Mi"],
            "MIN_REQUEST_MEMORY=100Mi: not a number",
        ),
        (
            &["--min-request-memory=-1"],
            "MIN_REQUEST_MEMORY=-1: must not be negative",
        ),
    ];
    for (args, expected) in cases {
        let err = parse(args).policy.seed.params().unwrap_err();
        assert_eq!(err.to_string(), *expected, "{args:?}");
    }
    let metrics: &[(&[&str], &str)] = &[
        (
            &["--verify-cert", "maybe"],
            "VERIFY_CERT=maybe: expected true or false",
        ),
        (
            &["--metrics-fetch-interval", "0"],
            "METRICS_FETCH_INTERVAL=0: must be greater than 0",
        ),
        (
            &["--metrics-fetch-interval", "30s"],
            "METRICS_FETCH_INTERVAL=30s: not a number",
        ),
        (
            &["--metrics-server-url", "metrics-server"],
            "METRICS_SERVER_URL=metrics-server: expected an http:// or https:// URL",
        ),
        (
            &["--metrics-server-url", "https://"],
            "METRICS_SERVER_URL=https://: expected an http:// or https:// URL",
        ),
        (
            &["--kube-state-metrics-url", "ftp://x"],
            "KUBE_STATE_METRICS_URL=ftp://x: expected an http:// or https:// URL",
        ),
    ];
    for (args, expected) in metrics {
        let err = parse(args).metrics.config().unwrap_err();
        assert_eq!(err.to_string(), *expected, "{args:?}");
    }
    let err = parse(&["--log-level", "LOUD"]).logging.level().unwrap_err();
    assert_eq!(
        err.to_string(),
        "LOG_LEVEL=LOUD: expected DEBUG, INFO, WARNING or ERROR"
    );
    assert_eq!(err.var(), "LOG_LEVEL");
    let err = parse(&["--policy", "vpa"]).policy.policy().unwrap_err();
    assert_eq!(err.to_string(), "POLICY=vpa: expected seed or rightsize");
}

#[test]
fn scale_down_threshold_must_stay_below_scale_up_threshold() {
    let cli = parse(&["--scale-down-threshold", "0.8"]);
    let err = cli.policy.seed.params().unwrap_err();
    assert_eq!(
        err.to_string(),
        "SCALE_DOWN_THRESHOLD=0.8: must be below SCALE_UP_THRESHOLD=0.8"
    );
    assert_eq!(err.var(), "SCALE_DOWN_THRESHOLD");
}

#[test]
fn booleans_and_levels_accept_the_usual_spellings() {
    for (v, expected) in [
        ("TRUE", true),
        ("1", true),
        (" yes ", true),
        ("off", false),
        ("0", false),
    ] {
        let cli = parse(&["--verify-cert", v]);
        assert_eq!(cli.metrics.config().unwrap().verify_cert, expected, "{v}");
    }
    for (v, expected) in [
        ("debug", LogLevel::Debug),
        ("Warning", LogLevel::Warning),
        ("WARN", LogLevel::Warning),
        ("critical", LogLevel::Error),
        ("trace", LogLevel::Trace),
    ] {
        assert_eq!(
            parse(&["--log-level", v]).logging.level().unwrap(),
            expected,
            "{v}"
        );
    }
    assert_eq!(LogLevel::Warning.directive(), "warn");
    assert_eq!(LogLevel::Warning.to_string(), "WARNING");
}

#[test]
fn blank_optional_settings_count_as_not_set() {
    let cli = parse(&["--kube-state-metrics-url", " ", "--label-selector", ""]);
    assert_eq!(cli.metrics.config().unwrap().kube_state_metrics_url, None);
    assert_eq!(cli.selector.selector(), None);
}

#[test]
fn numbers_may_carry_blanks_and_exponents_like_python_float() {
    let cli = parse(&[
        "--cooldown-period-seconds",
        " 6e2 ",
        "--scale-up-threshold",
        "+0.75",
    ]);
    let p = cli.policy.seed.params().unwrap();
    assert_eq!(p.cooldown_seconds, 600.0);
    assert_eq!(p.scale_up_threshold, 0.75);
}

#[test]
fn clap_own_errors_name_the_flag_not_the_environment_variable() {
    // Why values are validated here: a typed clap argument reports the flag and placeholder
    // only, even when the value came from the environment.
    let cmd = clap::Command::new("t").arg(
        clap::Arg::new("scale_up_threshold")
            .long("scale-up-threshold")
            .env("SCALE_UP_THRESHOLD_UNUSED_IN_TESTS")
            .value_parser(clap::value_parser!(f64)),
    );
    let err = cmd
        .try_get_matches_from(["t", "--scale-up-threshold", "abc"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("--scale-up-threshold"), "{err}");
    assert!(!err.contains("SCALE_UP_THRESHOLD_UNUSED_IN_TESTS"), "{err}");
}
