//! The bundled traces (`sim/testdata/traces`) through the `evaluate` command, as a user runs it:
//! JSON keyed by policy, every metric present, per source and per workload.
mod common;

use common::bundled_traces;
use rightsize_sim::evaluate::cli::EvaluateArgs;
use serde_json::Value;

fn run(args: &EvaluateArgs) -> String {
    let mut out = Vec::new();
    args.run(&mut out).expect("evaluate runs");
    String::from_utf8(out).expect("utf-8 output")
}

#[test]
fn json_report_has_every_default_policy_source_and_metric() {
    let mut args = EvaluateArgs::for_traces(bundled_traces());
    args.json = true;
    args.per_workload = true;
    let text = run(&args);
    let report: Value = serde_json::from_str(&text).expect("one JSON object");
    let order = ["static", "trace", "seed", "vpa", "krr", "rightsize"];
    assert_eq!(report.as_object().expect("object").len(), order.len());
    // Policies appear in the order asked for (serde_json's Value sorts, so look at the text).
    let positions: Vec<usize> = order
        .iter()
        .map(|p| text.find(&format!("\n  \"{p}\": {{")).expect("policy key"))
        .collect();
    assert!(positions.is_sorted(), "policy order in\n{text}");
    for (name, p) in report.as_object().expect("object") {
        for key in [
            "slack",
            "limit_slack",
            "under",
            "ooms_per_1k_container_hours",
            "oom_free_container_days",
            "resizes_per_container_day",
            "samples",
            "ooms",
            "resizes",
            "container_hours",
            "replay_seconds",
        ] {
            assert!(p[key].is_number(), "{name}.{key} = {}", p[key]);
            assert!(
                p["sources"]["nezha"][key].is_number(),
                "{name}.sources.nezha.{key}"
            );
        }
        let sources: Vec<&String> = p["sources"].as_object().expect("sources").keys().collect();
        assert_eq!(sources, ["bitbrains", "nezha"]);
        let workloads = p["workloads"].as_object().expect("workloads");
        assert_eq!(workloads.len(), 3);
        // Sources partition the set: their sample counts add up.
        let per_source: u64 = ["bitbrains", "nezha"]
            .iter()
            .map(|s| p["sources"][s]["samples"].as_u64().expect("count"))
            .sum();
        assert_eq!(Some(per_source), p["samples"].as_u64());
    }
}

#[test]
fn oracle_reports_null_resizes() {
    let mut args = EvaluateArgs::for_traces(bundled_traces());
    args.json = true;
    args.policies = vec!["oracle".to_owned()];
    let report: Value = serde_json::from_str(&run(&args)).expect("JSON");
    assert!(report["oracle"]["resizes"].is_null());
    assert!(report["oracle"]["resizes_per_container_day"].is_null());
    assert_eq!(report["oracle"]["ooms"], 0);
    assert!(report["oracle"].get("workloads").is_none());
}

#[test]
fn table_shows_each_source_and_the_overall_figures() {
    let mut args = EvaluateArgs::for_traces(bundled_traces());
    args.policies = vec!["static".to_owned(), "oracle".to_owned()];
    let table = run(&args);
    for heading in ["== source bitbrains", "== source nezha", "== overall"] {
        assert!(table.contains(heading), "{heading} missing in\n{table}");
    }
    assert!(
        table.contains("n/a"),
        "oracle resizes shown as n/a\n{table}"
    );
}
