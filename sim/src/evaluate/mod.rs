//! The trace evaluator (DESIGN §5, protocol in `../shared/EVALUATION.md`): replays recorded
//! memory usage through a sizing policy and scores it, deterministically, so policies can be
//! compared number for number.
//!
//! `trace` loads and checks the files, `durations` weights the samples, `engine` replays one
//! workload, `metrics` sums exactly (`fsum`), `registry` names the policies (`vpa`, `krr` and the
//! policy crate's `seed` and `rightsize`), `report` prints, `robust` measures
//! how robust one policy's win over another is, `svg` draws the slack/OOM trade-off, `cli` is the `evaluate` subcommand.
pub mod cli;
pub mod durations;
pub mod engine;
pub mod fsum;
pub mod krr;
pub mod metrics;
pub mod registry;
pub mod report;
pub mod robust;
pub mod svg;
pub mod trace;
pub mod vpa;

use std::time::Instant;

pub use engine::{Mode, ReplayOptions};
pub use registry::{DEFAULT_POLICIES, PolicyEntry, Registry};
pub use report::{PolicyRun, Report, WorkloadRun};
pub use trace::{TraceError, Workload};

/// Replays every workload under one policy, each with fresh policy state.
pub fn replay_policy(
    workloads: &[Workload],
    policy: &PolicyEntry,
    options: &ReplayOptions,
) -> PolicyRun {
    let start = Instant::now();
    let runs = workloads
        .iter()
        .map(|w| {
            let began = Instant::now();
            let mut state = policy.create();
            let sums = engine::replay(w, state.as_mut(), policy.mode, options);
            WorkloadRun {
                name: w.name.clone(),
                sums,
                seconds: began.elapsed().as_secs_f64(),
            }
        })
        .collect();
    PolicyRun {
        name: policy.name.clone(),
        counts_resizes: policy.counts_resizes(),
        workloads: runs,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Replays every workload under each policy, one policy after another (wall times stay
/// comparable; the machine is shared).
pub fn replay_all(
    workloads: &[Workload],
    policies: &[&PolicyEntry],
    options: &ReplayOptions,
) -> Vec<PolicyRun> {
    policies
        .iter()
        .map(|p| replay_policy(workloads, p, options))
        .collect()
}
