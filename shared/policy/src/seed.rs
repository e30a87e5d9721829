//! Policy `seed`: the original Python controller's rules (`../shared/seed/ORIGINAL.md`), exactly as
//! `../shared/EVALUATION.md` ("POLICIES", `seed`) pins them down.
//!
//! Memory only. The controller kept request = limit and had no admission step, so new pods keep
//! their declared size; a resize scales the limit with the request (`new_lim = new * lim / req`)
//! so a declared limit/request ratio survives.
use std::collections::HashMap;

use crate::policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};

/// 1 MiB in bytes.
pub const MIB: f64 = crate::quantity::MIB as f64;

/// The original controller's tunables, with its documented defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeedParams {
    /// `SCALE_UP_THRESHOLD`: usage/request ratio at or above which memory grows at once.
    pub scale_up_threshold: f64,
    /// `SCALE_UP_USAGE_MULTIPLIER`: new size as a multiple of usage when growing.
    pub scale_up_usage_multiplier: f64,
    /// `SCALE_UP_MIN_GROWTH`: growth is at least this multiple of the current request.
    pub scale_up_min_growth: f64,
    /// `SCALE_DOWN_THRESHOLD`: usage/request ratio at or below which (consistently) memory shrinks.
    pub scale_down_threshold: f64,
    /// `SCALE_DOWN_USAGE_MULTIPLIER`: new size as a multiple of usage when shrinking.
    pub scale_down_usage_multiplier: f64,
    /// `SCALE_DOWN_MIN_DIFF`: a shrink must cut at least this fraction of the request.
    pub scale_down_min_diff: f64,
    /// `COOLDOWN_PERIOD_SECONDS`: seconds after a resize (or pod start) before a shrink.
    pub cooldown_seconds: f64,
    /// `MIN_REQUEST_MEMORY` (MiB in the environment), bytes here.
    pub min_request_bytes: f64,
}

impl Default for SeedParams {
    fn default() -> Self {
        use crate::config as d;
        Self {
            scale_up_threshold: d::DEFAULT_SCALE_UP_THRESHOLD,
            scale_up_usage_multiplier: d::DEFAULT_SCALE_UP_USAGE_MULTIPLIER,
            scale_up_min_growth: d::DEFAULT_SCALE_UP_MIN_GROWTH,
            scale_down_threshold: d::DEFAULT_SCALE_DOWN_THRESHOLD,
            scale_down_usage_multiplier: d::DEFAULT_SCALE_DOWN_USAGE_MULTIPLIER,
            scale_down_min_diff: d::DEFAULT_SCALE_DOWN_MIN_DIFF,
            cooldown_seconds: d::DEFAULT_COOLDOWN_PERIOD_SECONDS,
            min_request_bytes: d::DEFAULT_MIN_REQUEST_MEMORY_MIB * MIB,
        }
    }
}

/// What the seed remembers about one pod: the controller kept it in pod annotations.
#[derive(Clone, Copy, Debug)]
struct PodState {
    /// Start of the cooldown clock: the last resize decision, else the pod start.
    clock_start: f64,
    /// Every sample since `clock_start` (the deciding sample excluded) was at or below the
    /// scale-down threshold: the README's "consistently below".
    all_below: bool,
}

/// The `seed` policy state of one workload: per-pod state only, it learns nothing across pods.
#[derive(Clone, Debug, Default)]
pub struct SeedPolicy {
    params: SeedParams,
    pods: HashMap<PodId, PodState>,
}

impl SeedPolicy {
    pub fn new(params: SeedParams) -> Self {
        Self {
            params,
            pods: HashMap::new(),
        }
    }

    /// The answer `(new, new * lim / req)`: the limit keeps its ratio to the request.
    fn resize(current: Allocation, new: f64, reason: String) -> Decision {
        Decision {
            allocation: current.with_request(new),
            reason,
        }
    }
}

impl SizingPolicy for SeedPolicy {
    /// The seed had no admission webhook: a new pod runs with what it declares.
    fn admit(&mut self, _pod: PodId, _declared: Allocation, _t: f64) -> Admission {
        Admission::Declared
    }

    /// One poll of the controller. The OOM flag is ignored: the seed only saw usage.
    fn observe(&mut self, obs: &Observation) -> Option<Decision> {
        let p = self.params;
        let state = self.pods.entry(obs.pod).or_insert(PodState {
            clock_start: obs.pod_start,
            all_below: true,
        });
        let (u, req) = (obs.usage, obs.current.request);

        let decision = if u >= p.scale_up_threshold * req {
            // Growth is immediate: no cooldown, to head off an OOM kill.
            let new = (u * p.scale_up_usage_multiplier).max(req * p.scale_up_min_growth);
            Some(Self::resize(
                obs.current,
                new,
                format!(
                    "seed: usage {u} >= {} x request {req}",
                    p.scale_up_threshold
                ),
            ))
        } else {
            state.all_below &= u <= p.scale_down_threshold * req;
            if state.all_below && obs.t - state.clock_start >= p.cooldown_seconds {
                let new = (u * p.scale_down_usage_multiplier).max(p.min_request_bytes);
                // A shrink that saves less than the minimum diff is not worth a resize; it is no
                // decision either, so the clock and the "consistently below" run go on.
                ((req - new) / req >= p.scale_down_min_diff).then(|| {
                    Self::resize(
                        obs.current,
                        new,
                        format!(
                            "seed: usage consistently <= {} x request {req} for {} s",
                            p.scale_down_threshold,
                            obs.t - state.clock_start
                        ),
                    )
                })
            } else {
                None
            }
        };
        if decision.is_some() {
            // A decision restarts both the cooldown clock and the "every sample below" run; the
            // deciding sample itself is not part of the new run.
            *state = PodState {
                clock_start: obs.t,
                all_below: true,
            };
        }
        decision
    }

    /// The controller kept this state in the pod's annotations: it goes with the pod.
    fn pod_gone(&mut self, pod: PodId) {
        self.pods.remove(&pod);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: PodId = 7;

    fn obs(t: f64, usage: f64, current: Allocation) -> Observation {
        Observation {
            pod: POD,
            t,
            usage,
            peak: usage,
            duration: 60.0,
            oom: false,
            current,
            pod_start: 0.0,
        }
    }

    fn seed() -> SeedPolicy {
        SeedPolicy::new(SeedParams::default())
    }

    fn size(d: Option<Decision>) -> Option<(f64, f64)> {
        d.map(|d| (d.allocation.request, d.allocation.limit))
    }

    const GI: f64 = 1024.0 * MIB;

    #[test]
    fn usage_exactly_at_scale_up_threshold_grows_by_min_growth() {
        // 0.8 * 1000 MiB = 800 MiB: u >= threshold, so new = max(800*1.4, 1000*1.2) = 1200 MiB.
        let mut s = seed();
        let cur = Allocation::equal(1000.0 * MIB);
        let d = s.observe(&obs(10.0, 800.0 * MIB, cur));
        assert_eq!(size(d), Some((1200.0 * MIB, 1200.0 * MIB)));
    }

    #[test]
    fn scale_up_follows_usage_and_keeps_limit_ratio() {
        // request 1 GiB, limit 2 GiB, usage 0.9 GiB: new = max(1.26, 1.2) GiB, limit twice that.
        let mut s = seed();
        let cur = Allocation {
            request: GI,
            limit: 2.0 * GI,
        };
        let d = s.observe(&obs(10.0, 0.9 * GI, cur));
        let want = 0.9 * GI * 1.4;
        assert_eq!(size(d), Some((want, want * 2.0)));
    }

    #[test]
    fn usage_just_below_scale_up_threshold_does_nothing() {
        let mut s = seed();
        let cur = Allocation::equal(1000.0 * MIB);
        assert_eq!(s.observe(&obs(10.0, 799.0 * MIB, cur)), None);
    }

    #[test]
    fn usage_exactly_at_scale_down_threshold_counts_as_below() {
        // 0.3 * 1000 MiB = 300 MiB at t = 600 (cooldown just elapsed since pod start 0):
        // new = max(300*2.5, 100) = 750 MiB, a 25 % cut >= 20 %.
        let mut s = seed();
        let cur = Allocation::equal(1000.0 * MIB);
        assert_eq!(s.observe(&obs(0.0, 300.0 * MIB, cur)), None);
        let d = s.observe(&obs(600.0, 300.0 * MIB, cur));
        assert_eq!(size(d), Some((750.0 * MIB, 750.0 * MIB)));
    }

    #[test]
    fn no_scale_down_before_cooldown_elapses() {
        let mut s = seed();
        let cur = Allocation::equal(1000.0 * MIB);
        for t in [0.0, 300.0, 599.0] {
            assert_eq!(s.observe(&obs(t, 100.0 * MIB, cur)), None, "t = {t}");
        }
        assert!(s.observe(&obs(600.0, 100.0 * MIB, cur)).is_some());
    }

    #[test]
    fn one_sample_above_threshold_blocks_scale_down_until_next_decision() {
        let mut s = seed();
        let cur = Allocation::equal(1000.0 * MIB);
        assert_eq!(s.observe(&obs(0.0, 100.0 * MIB, cur)), None);
        assert_eq!(s.observe(&obs(60.0, 301.0 * MIB, cur)), None);
        // Back below, cooldown long elapsed, but the run since pod start was broken.
        assert_eq!(s.observe(&obs(5000.0, 100.0 * MIB, cur)), None);
    }

    #[test]
    fn scale_down_saving_less_than_min_diff_is_skipped_without_resetting() {
        // min diff 0.5: request 1000 MiB, usage 250 MiB at t = 600 gives new = 625 MiB, a 37.5 %
        // cut < 50 %: skipped. A skipped shrink is no decision, so the clock keeps running and at
        // t = 660 usage 100 MiB gives 250 MiB, a 75 % cut: applied at once.
        let mut s = SeedPolicy::new(SeedParams {
            scale_down_min_diff: 0.5,
            ..SeedParams::default()
        });
        let cur = Allocation::equal(1000.0 * MIB);
        assert_eq!(s.observe(&obs(0.0, 250.0 * MIB, cur)), None);
        assert_eq!(s.observe(&obs(600.0, 250.0 * MIB, cur)), None);
        let d = s.observe(&obs(660.0, 100.0 * MIB, cur));
        assert_eq!(size(d), Some((250.0 * MIB, 250.0 * MIB)));
    }

    #[test]
    fn scale_down_never_goes_below_min_request() {
        // usage 10 MiB: 2.5x is 25 MiB, floored at 100 MiB.
        let mut s = seed();
        let cur = Allocation::equal(1000.0 * MIB);
        assert_eq!(s.observe(&obs(0.0, 10.0 * MIB, cur)), None);
        let d = s.observe(&obs(600.0, 10.0 * MIB, cur));
        assert_eq!(size(d), Some((100.0 * MIB, 100.0 * MIB)));
    }

    #[test]
    fn min_request_floor_can_make_the_cut_too_small() {
        // request 120 MiB, usage 10 MiB: new = 100 MiB floor, cut 16.7 % < 20 %: nothing.
        let mut s = seed();
        let cur = Allocation::equal(120.0 * MIB);
        assert_eq!(s.observe(&obs(0.0, 10.0 * MIB, cur)), None);
        assert_eq!(s.observe(&obs(600.0, 10.0 * MIB, cur)), None);
    }

    #[test]
    fn decision_resets_cooldown_clock_and_below_run() {
        let mut s = seed();
        let big = Allocation::equal(1000.0 * MIB);
        // Scale up at t = 1000 (usage 900 MiB): clock restarts at 1000.
        assert!(s.observe(&obs(1000.0, 900.0 * MIB, big)).is_some());
        let grown = Allocation::equal(1260.0 * MIB);
        // Usage drops: the deciding sample (900 MiB) is not part of the new run.
        assert_eq!(s.observe(&obs(1300.0, 100.0 * MIB, grown)), None);
        assert_eq!(s.observe(&obs(1599.0, 100.0 * MIB, grown)), None);
        let d = s.observe(&obs(1600.0, 100.0 * MIB, grown));
        assert_eq!(size(d), Some((250.0 * MIB, 250.0 * MIB)));
        // The shrink itself resets again: 600 s more before the next one.
        let small = Allocation::equal(250.0 * MIB);
        assert_eq!(s.observe(&obs(2100.0, 10.0 * MIB, small)), None);
        let d = s.observe(&obs(2200.0, 10.0 * MIB, small));
        assert_eq!(size(d), Some((100.0 * MIB, 100.0 * MIB)));
    }

    #[test]
    fn pods_are_tracked_separately() {
        let mut s = seed();
        let cur = Allocation::equal(1000.0 * MIB);
        assert_eq!(s.observe(&obs(0.0, 500.0 * MIB, cur)), None);
        let mut other = obs(600.0, 100.0 * MIB, cur);
        other.pod = POD + 1;
        other.pod_start = 600.0;
        // The other pod's run starts fresh at its own start; its cooldown has not elapsed.
        assert_eq!(s.observe(&other), None);
        other.t = 1200.0;
        assert!(s.observe(&other).is_some());
    }

    #[test]
    fn pod_gone_forgets_the_pods_cooldown_clock() {
        let mut s = seed();
        let big = Allocation::equal(1000.0 * MIB);
        // A scale-up at t = 1000 restarts the pod's clock: no shrink before t = 1600.
        assert!(s.observe(&obs(1000.0, 900.0 * MIB, big)).is_some());
        assert_eq!(s.pods.len(), 1);
        s.pod_gone(POD);
        assert!(s.pods.is_empty());
        // Were the id seen again, its clock would start over from the pod's start (t = 0), so
        // the cooldown has long elapsed at t = 1300 and the shrink happens at once.
        let grown = Allocation::equal(1260.0 * MIB);
        assert!(s.observe(&obs(1300.0, 100.0 * MIB, grown)).is_some());
        // Another pod's departure leaves this one's state alone.
        s.pod_gone(POD + 1);
        assert_eq!(s.pods.len(), 1);
    }

    #[test]
    fn oom_flag_is_ignored() {
        let mut s = seed();
        let cur = Allocation::equal(1000.0 * MIB);
        let mut o = obs(10.0, 500.0 * MIB, cur);
        o.oom = true;
        assert_eq!(s.observe(&o), None);
    }
}
