//! Conformance with the protocol's independent implementation: replaying a trace set must
//! reproduce its `REFERENCE.json` to 1e-9 relative, for the whole set and for every workload, for
//! every baseline it lists (static, trace, seed, vpa, krr, oracle).
mod common;

use std::path::Path;

use common::{bundled_traces, compare, read_json, shared_traces};
use rightsize_sim::evaluate::trace::load_dir;
use rightsize_sim::evaluate::{Registry, ReplayOptions, replay_policy};
use serde_json::Value;

const POLICIES: [&str; 6] = ["static", "trace", "seed", "vpa", "krr", "oracle"];

/// Replays `dir` under every reference policy and checks the figures of `REFERENCE.json`: every
/// workload the reference lists (each must have been replayed, and nothing else), and the whole
/// set's totals when `totals` (the bundled reference lists per-workload figures only). Returns
/// how many workloads were compared per policy.
fn check_against_reference(dir: &Path, totals: bool) -> usize {
    let reference = read_json(&dir.join("REFERENCE.json"));
    assert_eq!(
        reference["rollout_s"], 86400,
        "reference made with another rollout"
    );
    let workloads = load_dir(dir).unwrap_or_else(|e| panic!("{e}"));
    let registry = Registry::builtin();
    let options = ReplayOptions::default();

    let mut failures = Vec::new();
    let mut compared = None;
    for name in POLICIES {
        let want = &reference["policies"][name];
        assert!(want.is_object(), "REFERENCE.json has no policy {name}");
        let entry = registry.get(name).expect("built-in policy");
        let run = replay_policy(&workloads, entry, &options);

        let mut worst: f64 = 0.0;
        if totals {
            let (e, bad) = compare(&format!("{name}.total"), &run.total(), &want["total"]);
            worst = worst.max(e);
            failures.extend(bad);
        }
        let got = run.workloads();
        let Value::Object(want_workloads) = &want["workloads"] else {
            panic!("REFERENCE.json: {name} has no workloads");
        };
        for (workload, want_metrics) in want_workloads {
            let Some(metrics) = got.get(workload) else {
                failures.push(format!("{name}.{workload}: not replayed"));
                continue;
            };
            let (e, bad) = compare(&format!("{name}.{workload}"), metrics, want_metrics);
            worst = worst.max(e);
            failures.extend(bad);
        }
        assert_eq!(
            got.len(),
            want_workloads.len(),
            "{name}: {} workloads replayed, the reference lists {}",
            got.len(),
            want_workloads.len()
        );
        assert_eq!(
            *compared.get_or_insert(want_workloads.len()),
            want_workloads.len(),
            "{name}: the reference lists another number of workloads than for {}",
            POLICIES[0]
        );
        eprintln!(
            "conformance {}: {name}: max relative error {worst:.3e}",
            dir.display()
        );
    }
    assert!(
        failures.is_empty(),
        "{} metrics differ from REFERENCE.json:\n{}",
        failures.len(),
        failures.join("\n")
    );
    compared.unwrap_or(0)
}

/// Workloads of the development set (60 Bitbrains VMs, 2 Google jobs, 10 Nezha pods).
const DEVELOPMENT_WORKLOADS: usize = 72;

/// Workload folders in `sim/testdata/traces`.
const BUNDLED_WORKLOADS: usize = 3;

#[test]
fn development_set_matches_reference() {
    let Some(dir) = shared_traces("the conformance test on the development set") else {
        return;
    };
    assert_eq!(check_against_reference(&dir, true), DEVELOPMENT_WORKLOADS);
}

#[test]
fn bundled_traces_match_reference() {
    let dir = bundled_traces();
    let folders = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count();
    assert_eq!(folders, BUNDLED_WORKLOADS);
    assert_eq!(check_against_reference(&dir, false), BUNDLED_WORKLOADS);
}
