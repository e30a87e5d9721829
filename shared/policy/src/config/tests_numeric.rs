//! Property test over every numeric setting: whatever text a variable holds (huge, tiny,
//! negative, NaN, infinite, exponents past `f64`, words), validation never panics; it accepts
//! the value or refuses it with a message naming that variable.

use proptest::prelude::*;

use super::tests::parse_flags;
use super::*;

#[derive(clap::Parser, Debug)]
struct All {
    #[command(flatten)]
    metrics: MetricsArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// The original controller's numeric settings (seconds, ratios, multipliers, MiB, quantities);
/// with every `RIGHTSIZE_*` tunable (all numeric), `numeric()` is every setting that holds a number.
const SEED_NUMERIC: [&str; 9] = [
    "METRICS_FETCH_INTERVAL",
    "SCALE_UP_THRESHOLD",
    "SCALE_UP_USAGE_MULTIPLIER",
    "SCALE_UP_MIN_GROWTH",
    "SCALE_DOWN_THRESHOLD",
    "SCALE_DOWN_USAGE_MULTIPLIER",
    "SCALE_DOWN_MIN_DIFF",
    "COOLDOWN_PERIOD_SECONDS",
    "MIN_REQUEST_MEMORY",
];

fn numeric() -> Vec<&'static str> {
    SEED_NUMERIC
        .into_iter()
        .chain(super::tests::RIGHTSIZE_VARIABLES)
        .collect()
}

fn flag(var: &str) -> String {
    format!("--{}", var.to_ascii_lowercase().replace('_', "-"))
}

/// Validate everything with `var` set to `value` (all else at defaults).
fn validate(var: &str, value: &str) -> Result<(), ConfigError> {
    let arg = format!("{}={value}", flag(var));
    let all: All = parse_flags(&[&arg]);
    all.metrics.config()?;
    all.policy.seed.params()?;
    all.policy.rightsize.params()?;
    Ok(())
}

fn values() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|x| x.to_string()),
        any::<f64>().prop_map(|x| format!("{x:e}")),
        any::<i64>().prop_map(|x| x.to_string()),
        (any::<i32>(), -400i32..400).prop_map(|(m, e)| format!("{m}e{e}")),
        (0u32..1000).prop_map(|x| format!("{x}Gi")),
        prop::sample::select(vec![
            "1e30",
            "1e308",
            "1e309",
            "-1e30",
            "NaN",
            "inf",
            "-inf",
            "0",
            "-0",
            "",
            " ",
            "abc",
            "1e-320",
            "18446744073709551616",
            "9Ei",
        ])
        .prop_map(String::from),
        "[ -~]{0,12}",
    ]
}

#[test]
fn the_numeric_list_covers_every_rightsize_tunable() {
    for var in super::tests::RIGHTSIZE_VARIABLES {
        assert!(numeric().contains(&var), "{var} missing from numeric()");
    }
}

#[test]
fn huge_fetch_interval_is_refused_by_name() {
    let err = validate("METRICS_FETCH_INTERVAL", "1e30").unwrap_err();
    assert_eq!(
        err.to_string(),
        "METRICS_FETCH_INTERVAL=1e30: too large for a duration"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_value_of_any_numeric_setting_is_accepted_or_refused_by_name(
        var in prop::sample::select(numeric()),
        value in values(),
    ) {
        if let Err(e) = validate(var, &value) {
            prop_assert!(e.to_string().contains(var), "{var}={value:?}: {e}");
        }
    }
}
