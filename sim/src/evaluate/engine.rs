//! The replay of one workload (`EVALUATION.md`, "ORDER" and "PODS AND PROCESSING OF ONE
//! SAMPLE"): every sample of every replica in global (timestamp, replica rank) order, each one
//! processed completely (admission, no-delay sizing, OOM check, metrics, observation) before the
//! next, so that what a policy learns from one replica reaches the others exactly when it would
//! in a cluster.
use rightsize_policy::{Admission, Allocation, Observation, PodId, SizingPolicy};

use super::metrics::{Sums, Tally};
use super::trace::Workload;

/// 1 MiB in bytes (the policy crate's).
pub use rightsize_policy::seed::MIB;
/// DECLARED size of a replica with no known provisioned value: 256 MiB, a common chart default.
pub const DEFAULT_MEMORY: f64 = 256.0 * MIB;
/// Pods are replaced every 24 h by default: a daily rollout is when admission gets to act again.
pub const DEFAULT_ROLLOUT_SECONDS: f64 = 86400.0;
/// Container-days are counted from each replica's first sample.
const DAY_SECONDS: i64 = 86400;

/// Who sets each sample's allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The policy: admission of new pods, and in-place resizes in force from the next sample.
    Policy,
    /// No delay: each sample's own provisioned size, else the replica's declared size.
    Trace,
    /// No delay, perfect foresight: each sample's own peak, so it never OOMs.
    Oracle,
}

/// Replay settings shared by every workload and policy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplayOptions {
    /// A replica's pod is replaced once it is this old (seconds); `<= 0` never replaces it.
    pub rollout: f64,
    /// DECLARED size of a replica without a known provisioned value (bytes).
    pub default_memory: f64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            rollout: DEFAULT_ROLLOUT_SECONDS,
            default_memory: DEFAULT_MEMORY,
        }
    }
}

/// The pod currently serving a replica.
#[derive(Clone, Copy, Debug)]
struct Pod {
    id: PodId,
    start: i64,
    allocation: Allocation,
}

/// Replay state of one replica.
#[derive(Clone, Debug)]
struct ReplicaState {
    declared: f64,
    pod: Option<Pod>,
    /// A resize decided at an earlier sample, in force from this replica's next sample.
    pending: Option<Allocation>,
    /// The allocation of this replica's previous sample (trace mode counts changes of it).
    previous: Option<Allocation>,
    /// Current container-day index and whether it has had an OOM kill yet.
    day: Option<i64>,
    day_oom: bool,
}

/// Replays one workload with a fresh `policy` and returns its sums.
pub fn replay(
    workload: &Workload,
    policy: &mut dyn SizingPolicy,
    mode: Mode,
    options: &ReplayOptions,
) -> Sums {
    let mut order: Vec<(i64, usize, usize)> = workload
        .replicas
        .iter()
        .enumerate()
        .flat_map(|(rank, r)| r.t.iter().enumerate().map(move |(i, &t)| (t, rank, i)))
        .collect();
    // Keys are unique: timestamps strictly increase within a replica.
    order.sort_unstable();

    let mut states: Vec<ReplicaState> = workload
        .replicas
        .iter()
        .map(|r| ReplicaState {
            declared: r.declared(options.default_memory),
            pod: None,
            pending: None,
            previous: None,
            day: None,
            day_oom: false,
        })
        .collect();
    let mut tally = Tally::default();
    let (mut days, mut oom_days) = (0u64, 0u64);
    let mut next_pod: PodId = 0;

    for (n, &(t, rank, i)) in order.iter().enumerate() {
        let replica = &workload.replicas[rank];
        let state = &mut states[rank];
        let (usage, peak, d) = (replica.usage[i], replica.peak[i], replica.duration[i]);
        let declared = Allocation::equal(state.declared);

        // 1. Admission, or the pending resize taking effect.
        let expired =
            |pod: &Pod| options.rollout > 0.0 && t as f64 >= pod.start as f64 + options.rollout;
        let (mut pod, admitted) = match state.pod {
            Some(mut pod) if !expired(&pod) => {
                if let Some(allocation) = state.pending.take() {
                    pod.allocation = allocation;
                }
                (pod, false)
            }
            _ => {
                let allocation = if n == 0 {
                    declared
                } else {
                    match policy.admit(next_pod, declared, t as f64) {
                        Admission::Declared => declared,
                        Admission::Sized(decision) => decision.allocation,
                    }
                };
                let pod = Pod {
                    id: next_pod,
                    start: t,
                    allocation,
                };
                next_pod += 1;
                // The pod it replaces is gone, after its successor's admission as in a rolling
                // update (the new pod is created before the old one is deleted), so the policy
                // frees that pod's state.
                if let Some(old) = state.pod {
                    policy.pod_gone(old.id);
                }
                // Admission is never a resize, and a resize decided for the old pod dies with it.
                state.pending = None;
                (pod, true)
            }
        };

        // 2. No-delay baselines size the sample themselves.
        match mode {
            Mode::Policy => {}
            Mode::Trace => {
                let provisioned = replica.provisioned[i];
                pod.allocation = if provisioned > 0.0 {
                    Allocation::equal(provisioned)
                } else {
                    declared
                };
                if !admitted && state.previous != Some(pod.allocation) {
                    tally.resize();
                }
            }
            Mode::Oracle => pod.allocation = Allocation::equal(peak),
        }
        state.previous = Some(pod.allocation);
        let current = pod.allocation;

        // 3. OOM check: the limit in force against the window's peak.
        let oom = peak > current.limit;

        // 4. Metrics.
        tally.sample(d, usage, current.request, current.limit, oom);
        let day = (t - replica.t[0]).div_euclid(DAY_SECONDS);
        if state.day != Some(day) {
            state.day = Some(day);
            state.day_oom = false;
            days += 1;
        }
        if oom && !state.day_oom {
            state.day_oom = true;
            oom_days += 1;
        }

        // 5. The policy observes; a different answer is one resize, in force from the next
        // sample of this replica.
        if mode == Mode::Policy {
            let observation = Observation {
                pod: pod.id,
                t: t as f64,
                usage,
                peak,
                duration: d,
                oom,
                current,
                pod_start: pod.start as f64,
            };
            if let Some(decision) = policy.observe(&observation)
                && decision.allocation != current
            {
                tally.resize();
                state.pending = Some(decision.allocation);
            }
        }
        state.pod = Some(pod);
    }
    tally.finish(days, oom_days)
}
