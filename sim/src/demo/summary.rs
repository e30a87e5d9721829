//! The demo's output: a progress line every few seconds, the final table, and the summary JSON
//! (`--summary-json`), all from the [`Tally`] read from the cluster.

use std::collections::BTreeMap;

use rightsize_policy::seed::MIB;
use serde_json::{Value, json};

use super::observe::Tally;

fn mib(b: f64) -> String {
    format!("{:.0} MiB", b / MIB)
}

/// One progress line.
pub fn progress(t: f64, tally: &Tally) -> String {
    format!(
        "[{t:>5.1}s] pods running {:>2} | admitted from history {} | resizes up {} down {} | OOM kills {} bumps {} | requested {} vs static {}",
        tally.running,
        tally.admitted_with_history.len(),
        tally.resizes_up,
        tally.resizes_down,
        tally.oom_kills,
        tally.oom_bumps,
        mib(tally.requested_now),
        mib(tally.static_now),
    )
}

/// The summary JSON.
pub fn json(duration: f64, tally: &Tally, overlay: &BTreeMap<String, String>) -> Value {
    json!({
        "duration_seconds": duration,
        "pods_seen": tally.pods_seen.len(),
        "admitted_with_history": tally.admitted_with_history.len(),
        "resizes_up": tally.resizes_up,
        "resizes_down": tally.resizes_down,
        "oom_kills": tally.oom_kills,
        "oom_bumps": tally.oom_bumps,
        "requested_bytes_avg": tally.requested_avg(),
        "static_requested_bytes_avg": tally.static_avg(),
        "samples": tally.samples,
        "overlay": overlay,
    })
}

/// The final table, with where to find each figure with kubectl.
pub fn table(tally: &Tally, overlay: &BTreeMap<String, String>) -> String {
    let (req, stat) = (tally.requested_avg(), tally.static_avg());
    let saved = if stat > 0.0 {
        100.0 * (1.0 - req / stat)
    } else {
        0.0
    };
    let count = |n: usize| n.to_string();
    let rows = [
        (
            "pods admitted with sizes from history",
            count(tally.admitted_with_history.len()),
            "annotation rightsize.dev/admitted (\"sized from history\")",
        ),
        (
            "in-place resizes up",
            count(tally.resizes_up),
            "Events reason=Resized",
        ),
        (
            "in-place resizes down",
            count(tally.resizes_down),
            "Events reason=Resized",
        ),
        (
            "OOM kills",
            count(tally.oom_kills),
            "Events reason=OOMKilling",
        ),
        (
            "OOM bumps",
            count(tally.oom_bumps),
            "Events reason=OOMKillBump",
        ),
        (
            "memory requested (average)",
            mib(req),
            "pods' spec.containers[].resources",
        ),
        (
            "static baseline (average)",
            mib(stat),
            "Deployments' declared requests",
        ),
        ("saved against static", format!("{saved:.0} %"), ""),
    ];
    let mut out = String::from("\nsummary (namespace demo; kubectl get events -n demo)\n");
    for (what, value, source) in rows {
        out.push_str(&format!("  {what:<40} {value:>10}   {source}\n"));
    }
    out.push_str("demo overlay (deploy/demo):\n");
    for (k, v) in overlay {
        out.push_str(&format!("  {k}={v}\n"));
    }
    out
}
