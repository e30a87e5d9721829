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

/// Replays `dir` under every reference policy and checks the figures of `REFERENCE.json`: per
/// workload always, the whole set when `whole_set` (the bundled folder holds only some of the
/// reference's workloads).
fn check_against_reference(dir: &Path, whole_set: bool) {
    let reference = read_json(&dir.join("REFERENCE.json"));
    assert_eq!(
        reference["rollout_s"], 86400,
        "reference made with another rollout"
    );
    let workloads = load_dir(dir).unwrap_or_else(|e| panic!("{e}"));
    let registry = Registry::builtin();
    let options = ReplayOptions::default();

    let mut failures = Vec::new();
    for name in POLICIES {
        let want = &reference["policies"][name];
        assert!(want.is_object(), "REFERENCE.json has no policy {name}");
        let entry = registry.get(name).expect("built-in policy");
        let run = replay_policy(&workloads, entry, &options);

        let mut worst: f64 = 0.0;
        if whole_set {
            let (e, bad) = compare(&format!("{name}.total"), &run.total(), &want["total"]);
            worst = worst.max(e);
            failures.extend(bad);
        }
        let got = run.workloads();
        let Value::Object(want_workloads) = &want["workloads"] else {
            panic!("REFERENCE.json: {name} has no workloads");
        };
        for (workload, want_metrics) in want_workloads {
            if !whole_set && !got.contains_key(workload) {
                continue;
            }
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
            if whole_set {
                want_workloads.len()
            } else {
                got.len()
            },
            "{name}: workload count differs from the reference"
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
}

#[test]
fn development_set_matches_reference() {
    let dir = shared_traces();
    if !dir.join("REFERENCE.json").is_file() {
        eprintln!(
            "\n!!! SKIPPED: {} not found; the conformance test on the development set did not run !!!\n",
            dir.display()
        );
        return;
    }
    check_against_reference(&dir, true);
}

#[test]
fn bundled_traces_match_reference() {
    check_against_reference(&bundled_traces(), false);
}
