//! Issue 10's bar for `rightsize`, checked against the `vpa` baseline replayed IN THE SAME RUN on
//! the development set `../shared/traces` (no figure is written down here, so a change to the
//! evaluator or the traces moves both sides):
//! - on every source, no more OOM kills per 1k container-hours than VPA, and at most
//!   [`MAX_RESIZES_PER_DAY`] resizes per container-day;
//! - overall, at most half of VPA's OOM kills;
//! - on every source, no more slack than VPA.
//!
//! Items still open would be listed in [`OPEN`] (printed, not failed, by the per-criterion
//! tests); it is empty, and `full_bar_of_issue_10` checks the whole bar strictly.
//!
//! The development set lives beside the checkout, not in it: with `CI` set a missing directory
//! fails the test; without it the test says loudly what it skipped.
mod common;

use std::collections::BTreeMap;

use common::shared_traces;
use rightsize_sim::evaluate::metrics::Metrics;
use rightsize_sim::evaluate::trace::load_dir;
use rightsize_sim::evaluate::{Registry, ReplayOptions, replay_policy};

/// Resizes per container-day allowed on every source (issue 10).
const MAX_RESIZES_PER_DAY: f64 = 2.0;
/// Overall, rightsize may have at most this share of VPA's OOM kills (issue 10: "half").
const OOM_SHARE_OF_VPA: f64 = 0.5;

/// Per-source and overall figures of one policy.
struct Figures {
    sources: BTreeMap<String, Metrics>,
    total: Metrics,
}

/// Replays the development set under `rightsize` and `vpa` with default settings, or `None`
/// (after saying so) when the set is absent outside CI.
fn replay_both() -> Option<(Figures, Figures)> {
    let dir = shared_traces("the comparison of rightsize with vpa")?;
    let workloads = load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let registry = Registry::builtin();
    let options = ReplayOptions::default();
    let run = |name: &str| {
        let run = replay_policy(
            &workloads,
            registry.get(name).expect("built-in policy"),
            &options,
        );
        Figures {
            sources: run.sources(),
            total: run.total(),
        }
    };
    Some((run("rightsize"), run("vpa")))
}

/// Every source of `vpa`, with rightsize's figures for it (a source missing from either is a
/// failure in itself).
fn per_source<'a>(ours: &'a Figures, vpa: &'a Figures) -> Vec<(&'a str, &'a Metrics, &'a Metrics)> {
    assert!(!vpa.sources.is_empty(), "no source replayed");
    assert_eq!(
        ours.sources.keys().collect::<Vec<_>>(),
        vpa.sources.keys().collect::<Vec<_>>(),
        "both policies replay the same sources"
    );
    vpa.sources
        .iter()
        .map(|(s, v)| (s.as_str(), &ours.sources[s], v))
        .collect()
}

fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "rightsize loses against vpa:\n{}",
        failures.join("\n")
    );
}

/// Criteria of issue 10 that the current policy does not meet yet, as (source, criterion): the
/// tests below report them loudly instead of failing, and `full_bar_of_issue_10` checks
/// everything. Empty since the whole bar holds; an entry is only ever a known, reported gap.
const OPEN: [(&str, &str); 0] = [];

fn is_open(source: &str, criterion: &str) -> bool {
    OPEN.contains(&(source, criterion))
}

/// Checks `criterion` on every source; an open item is printed, any other miss is a failure.
fn check_sources(
    criterion: &str,
    ours: &Figures,
    vpa: &Figures,
    strict: bool,
    miss: impl Fn(&Metrics, &Metrics) -> Option<String>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (source, r, v) in per_source(ours, vpa) {
        match miss(r, v) {
            Some(why) if strict || !is_open(source, criterion) => {
                failures.push(format!("{source}: {why}"))
            }
            Some(why) => eprintln!("!!! OPEN (issue 10): {source}: {why} !!!"),
            None => eprintln!("{source}: {criterion} holds"),
        }
    }
    failures
}

fn more_ooms(r: &Metrics, v: &Metrics) -> Option<String> {
    (r.ooms_per_1k_container_hours > v.ooms_per_1k_container_hours).then(|| {
        format!(
            "{:.3} OOM kills / 1k container-h against vpa's {:.3}",
            r.ooms_per_1k_container_hours, v.ooms_per_1k_container_hours
        )
    })
}

fn more_slack(r: &Metrics, v: &Metrics) -> Option<String> {
    (r.slack > v.slack).then(|| format!("slack {:.5} against vpa's {:.5}", r.slack, v.slack))
}

fn too_many_resizes(r: &Metrics, _: &Metrics) -> Option<String> {
    let per_day = r
        .resizes_per_container_day
        .expect("rightsize counts resizes");
    (per_day > MAX_RESIZES_PER_DAY)
        .then(|| format!("{per_day:.3} resizes / container-day, more than {MAX_RESIZES_PER_DAY}"))
}

fn overall_ooms(ours: &Figures, vpa: &Figures, strict: bool) -> Vec<String> {
    let (r, v) = (&ours.total, &vpa.total);
    let bound = OOM_SHARE_OF_VPA * v.ooms_per_1k_container_hours;
    if r.ooms_per_1k_container_hours <= bound {
        eprintln!("overall: {} OOM kills against vpa's {}", r.ooms, v.ooms);
        return Vec::new();
    }
    let why = format!(
        "{:.3} OOM kills / 1k container-h ({} kills), more than half of vpa's {:.3} ({} kills)",
        r.ooms_per_1k_container_hours, r.ooms, v.ooms_per_1k_container_hours, v.ooms
    );
    if strict || !is_open("overall", "half of vpa's OOM kills") {
        vec![format!("overall: {why}")]
    } else {
        eprintln!("!!! OPEN (issue 10): overall: {why} !!!");
        Vec::new()
    }
}

#[test]
fn rightsize_has_no_more_oom_kills_than_vpa_on_any_source() {
    let Some((ours, vpa)) = replay_both() else {
        return;
    };
    let mut failures = check_sources("OOM kills", &ours, &vpa, false, more_ooms);
    failures.extend(overall_ooms(&ours, &vpa, false));
    report(&failures);
}

#[test]
fn rightsize_resizes_at_most_twice_per_container_day_on_every_source() {
    let Some((ours, vpa)) = replay_both() else {
        return;
    };
    report(&check_sources(
        "resizes",
        &ours,
        &vpa,
        false,
        too_many_resizes,
    ));
}

#[test]
fn rightsize_has_no_more_slack_than_vpa_on_any_source() {
    let Some((ours, vpa)) = replay_both() else {
        return;
    };
    report(&check_sources("slack", &ours, &vpa, false, more_slack));
}

#[test]
fn full_bar_of_issue_10() {
    let Some((ours, vpa)) = replay_both() else {
        return;
    };
    let mut failures = check_sources("OOM kills", &ours, &vpa, true, more_ooms);
    failures.extend(check_sources(
        "resizes",
        &ours,
        &vpa,
        true,
        too_many_resizes,
    ));
    failures.extend(check_sources("slack", &ours, &vpa, true, more_slack));
    failures.extend(overall_ooms(&ours, &vpa, true));
    report(&failures);
}
