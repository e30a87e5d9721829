//! Tests of the `RIGHTSIZE_*` group, on flags only (the environment bindings are checked with
//! every other variable's in `config/tests.rs`).
use clap::Parser;

use super::*;
use crate::rightsize::RightsizeParams;
use crate::seed::MIB;

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    rightsize: RightsizeArgs,
}

/// Parse flags only, whatever the environment of the test process holds.
fn parse(args: &[&str]) -> Cli {
    crate::config::tests::parse_flags(args)
}

#[test]
fn rightsize_defaults_are_those_of_the_policy() {
    let cli = parse(&[]);
    assert_eq!(cli.rightsize, RightsizeArgs::default());
    let p = cli.rightsize.params().unwrap();
    assert_eq!(
        p,
        RightsizeParams::default(),
        "config and policy defaults agree"
    );
    // The quantities, spelled as a person would.
    assert_eq!(p.burst_headroom_at_1gib, 500.0 * MIB);
    assert_eq!(p.floor_bytes, 16.0 * MIB);
}

#[test]
fn rightsize_flags_override_the_defaults() {
    let cli = parse(&[
        "--rightsize-margin",
        "1.1",
        "--rightsize-recent-hours",
        "48",
        "--rightsize-quantile",
        "1",
        "--rightsize-quantile-half-life-hours",
        "48",
        "--rightsize-weekly-weeks",
        "0",
        "--rightsize-weekly-jitter-hours",
        "2",
        "--rightsize-weekly-lookahead-hours",
        "3",
        "--rightsize-confidence-hours",
        "12.5",
        "--rightsize-confidence-k",
        "0",
        "--rightsize-confidence-cap",
        "2",
        "--rightsize-oom-bump",
        "2",
        "--rightsize-grow-at",
        "0.8",
        "--rightsize-grow-hysteresis",
        "0.5",
        "--rightsize-shrink-to-band",
        "1",
        "--rightsize-grow-to-band",
        "0.25",
        "--rightsize-down-hysteresis",
        "0",
        "--rightsize-down-interval-seconds",
        "3600",
        "--rightsize-burst-headroom-at-1gi",
        "0.5Gi",
        "--rightsize-burst-exponent",
        "0.5",
        "--rightsize-burst-spread-factor",
        "2.5",
        "--rightsize-floor",
        "100M",
    ]);
    assert_eq!(
        cli.rightsize.params().unwrap(),
        RightsizeParams {
            margin: 1.1,
            recent_hours: 48,
            quantile: 1.0,
            quantile_half_life_hours: 48.0,
            weekly_weeks: 0,
            weekly_jitter_hours: 2,
            weekly_lookahead_hours: 3,
            confidence_hours: 12.5,
            confidence_k: 0.0,
            confidence_cap: 2.0,
            oom_bump: 2.0,
            grow_at: 0.8,
            grow_hysteresis: 0.5,
            down_hysteresis: 0.0,
            down_interval_s: 3600.0,
            shrink_to_band: 1.0,
            grow_to_band: 0.25,
            burst_headroom_at_1gib: 512.0 * MIB,
            burst_exponent: 0.5,
            burst_spread_factor: 2.5,
            floor_bytes: 100e6,
        }
    );
}

#[test]
fn invalid_rightsize_values_are_reported_with_the_variable_name() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--rightsize-shrink-to-band", "1.5"],
            "RIGHTSIZE_SHRINK_TO_BAND=1.5: expected a fraction in [0, 1]",
        ),
        (
            &["--rightsize-grow-hysteresis=-0.1"],
            "RIGHTSIZE_GROW_HYSTERESIS=-0.1: must not be negative",
        ),
        (
            &["--rightsize-burst-exponent", "2"],
            "RIGHTSIZE_BURST_EXPONENT=2: expected a fraction in [0, 1]",
        ),
        (
            &["--rightsize-burst-spread-factor", "x"],
            "RIGHTSIZE_BURST_SPREAD_FACTOR=x: not a number",
        ),
        (
            &["--rightsize-margin", "abc"],
            "RIGHTSIZE_MARGIN=abc: not a number",
        ),
        (
            &["--rightsize-margin", "0.9"],
            "RIGHTSIZE_MARGIN=0.9: must be at least 1",
        ),
        (
            &["--rightsize-recent-hours", "0"],
            "RIGHTSIZE_RECENT_HOURS=0: expected a whole number from 1 to 336",
        ),
        (
            &["--rightsize-recent-hours", "1.5"],
            "RIGHTSIZE_RECENT_HOURS=1.5: expected a whole number from 1 to 336",
        ),
        (
            &["--rightsize-recent-hours", "24h"],
            "RIGHTSIZE_RECENT_HOURS=24h: not a number",
        ),
        (
            &["--rightsize-quantile", "0"],
            "RIGHTSIZE_QUANTILE=0: expected a quantile in (0, 1]",
        ),
        (
            &["--rightsize-quantile", "97"],
            "RIGHTSIZE_QUANTILE=97: expected a quantile in (0, 1]",
        ),
        (
            &["--rightsize-weekly-weeks", "3"],
            "RIGHTSIZE_WEEKLY_WEEKS=3: expected a whole number from 0 to 2",
        ),
        (
            &["--rightsize-weekly-jitter-hours=-1"],
            "RIGHTSIZE_WEEKLY_JITTER_HOURS=-1: expected a whole number from 0 to 336",
        ),
        (
            &["--rightsize-weekly-lookahead-hours", "1000"],
            "RIGHTSIZE_WEEKLY_LOOKAHEAD_HOURS=1000: expected a whole number from 0 to 336",
        ),
        (
            &["--rightsize-confidence-hours=-1"],
            "RIGHTSIZE_CONFIDENCE_HOURS=-1: must not be negative",
        ),
        (
            &["--rightsize-confidence-k", "inf"],
            "RIGHTSIZE_CONFIDENCE_K=inf: not a number",
        ),
        (
            &["--rightsize-oom-bump", "0.5"],
            "RIGHTSIZE_OOM_BUMP=0.5: must be at least 1",
        ),
        (
            &["--rightsize-confidence-cap", "0.9"],
            "RIGHTSIZE_CONFIDENCE_CAP=0.9: must be at least 1",
        ),
        (
            &["--rightsize-grow-at", "1.1"],
            "RIGHTSIZE_GROW_AT=1.1: expected a ratio in (0, 1]",
        ),
        (
            &["--rightsize-down-hysteresis", "1"],
            "RIGHTSIZE_DOWN_HYSTERESIS=1: expected a fraction in [0, 1)",
        ),
        (
            &["--rightsize-down-interval-seconds", "4h"],
            "RIGHTSIZE_DOWN_INTERVAL_SECONDS=4h: not a number",
        ),
        (
            &["--rightsize-burst-headroom-at-1gi", "344Mb"],
            "RIGHTSIZE_BURST_HEADROOM_AT_1GI=344Mb: expected a memory quantity such as 16Mi or 1Gi \
             (unknown suffix \"Mb\")",
        ),
        (
            &["--rightsize-floor=-16Mi"],
            "RIGHTSIZE_FLOOR=-16Mi: must not be negative",
        ),
        (
            &["--rightsize-floor", "100m"],
            "RIGHTSIZE_FLOOR=100m: not a whole number of bytes",
        ),
    ];
    for (args, expected) in cases {
        let err = parse(args).rightsize.params().unwrap_err();
        assert_eq!(err.to_string(), *expected, "{args:?}");
    }
    let err = parse(&["--rightsize-floor", ""])
        .rightsize
        .params()
        .unwrap_err();
    assert_eq!(err.var(), "RIGHTSIZE_FLOOR");
}
