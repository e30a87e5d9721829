//! Replay speed of the trace evaluator, in samples per second per policy.
//!
//! `cargo bench -p rightsize-sim --bench replay [-- DIR]` (default DIR: `../shared/traces`,
//! else the bundled `sim/testdata/traces`). Each policy is replayed `RUNS` times over the whole
//! set; the best run is reported (the machine is shared, the best run is the least disturbed).
use std::path::{Path, PathBuf};
use std::time::Instant;

use rightsize_sim::evaluate::trace::load_dir;
use rightsize_sim::evaluate::{Registry, ReplayOptions, replay_policy};

const RUNS: usize = 5;
const POLICIES: [&str; 7] = [
    "static",
    "trace",
    "oracle",
    "seed",
    "vpa",
    "krr",
    "rightsize",
];

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let shared = manifest.join("../../shared/traces");
            if shared.is_dir() {
                shared
            } else {
                manifest.join("testdata/traces")
            }
        });

    let start = Instant::now();
    let workloads = match load_dir(&dir) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let load = start.elapsed().as_secs_f64();
    let samples: usize = workloads.iter().map(|w| w.samples()).sum();
    println!(
        "traces {}: {} workloads, {samples} samples, loaded in {load:.3} s ({:.0} samples/s)",
        dir.display(),
        workloads.len(),
        samples as f64 / load
    );

    let registry = Registry::builtin();
    let options = ReplayOptions::default();
    let mut all = 0.0;
    println!("{:<10} {:>10} {:>14}", "policy", "best s", "samples/s");
    for name in POLICIES {
        let Some(entry) = registry.get(name) else {
            continue;
        };
        let best = (0..RUNS)
            .map(|_| replay_policy(&workloads, entry, &options).seconds)
            .fold(f64::INFINITY, f64::min);
        all += best;
        println!("{name:<10} {best:>10.4} {:>14.0}", samples as f64 / best);
    }
    println!(
        "all {} policies: {all:.3} s replay + {load:.3} s loading",
        POLICIES.len()
    );
}
