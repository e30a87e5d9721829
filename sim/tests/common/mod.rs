//! Shared by the integration tests: comparing a replay with a `REFERENCE.json` in the format of
//! `../shared/traces/REFERENCE.json` (`policies.<name>.total` and `policies.<name>.workloads`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rightsize_sim::evaluate::metrics::Metrics;
use serde_json::Value;

/// Relative tolerance of the conformance check (EVALUATION.md).
pub const TOLERANCE: f64 = 1e-9;

/// The metrics REFERENCE.json holds, by JSON key.
pub const KEYS: [&str; 10] = [
    "container_hours",
    "limit_slack",
    "oom_free_container_days",
    "ooms",
    "ooms_per_1k_container_hours",
    "resizes",
    "resizes_per_container_day",
    "samples",
    "slack",
    "under",
];

/// `sim/testdata/traces`.
pub fn bundled_traces() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/traces")
}

/// Environment variable that points the tests at another copy of the development set (also how
/// a missing one is shown failing under CI: `RIGHTSIZE_SHARED_TRACES=/nonexistent CI=true`).
pub const SHARED_TRACES_ENV: &str = "RIGHTSIZE_SHARED_TRACES";

/// Where the development set is: `$RIGHTSIZE_SHARED_TRACES`, else `../shared/traces` beside
/// the repository.
pub fn shared_traces_dir() -> PathBuf {
    std::env::var_os(SHARED_TRACES_ENV).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/traces"),
        PathBuf::from,
    )
}

/// The development set for `what`; `None` (after a loud notice) when it is missing and `CI` is
/// not set, a failed test when it is missing and `CI` is set.
pub fn shared_traces(what: &str) -> Option<PathBuf> {
    let dir = shared_traces_dir();
    let present = dir.join("REFERENCE.json").is_file();
    rightsize_sim_cluster::testing::needs::require(
        present,
        &format!("{} (the development set)", dir.display()),
        what,
    )
    .then_some(dir)
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Relative difference; `null` must match `null`.
fn relative_error(got: &Value, want: &Value) -> f64 {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) if g == w => 0.0,
        (Some(g), Some(w)) => (g - w).abs() / g.abs().max(w.abs()),
        _ if got.is_null() && want.is_null() => 0.0,
        _ => f64::INFINITY,
    }
}

/// Compares `got` with `want` key by key; returns the largest relative error and a line per
/// metric beyond `TOLERANCE`.
pub fn compare(scope: &str, got: &Metrics, want: &Value) -> (f64, Vec<String>) {
    let got = serde_json::to_value(got).expect("metrics serialise");
    let mut worst: f64 = 0.0;
    let mut bad = Vec::new();
    for key in KEYS {
        let (g, w) = (&got[key], &want[key]);
        let e = relative_error(g, w);
        worst = worst.max(e);
        if e > TOLERANCE {
            bad.push(format!(
                "{scope}.{key}: got {g}, reference {w} (relative error {e:.3e})"
            ));
        }
    }
    (worst, bad)
}
