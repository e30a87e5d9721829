//! Baseline `vpa`: the Kubernetes Vertical Pod Autoscaler 1.8 with its default settings
//! (recommender, in-place updater, admission controller) for one memory container, as
//! `EVALUATION.md` ("POLICIES", `vpa`) pins it down. Constants are VPA's defaults, each with the flag
//! and VPA source file it comes from (see `../shared/reference/vpa.md`). Deliberate differences from the
//! real VPA are listed at the end of `EVALUATION.md`.
use std::collections::HashMap;

use rightsize_policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};

use histogram::Histogram;

mod histogram;

use super::engine::MIB;
const DAY: f64 = 86400.0;

/// One memory peak per container per 24 h: `--memory-aggregation-interval`
/// (`pkg/recommender/model/aggregations_config.go`).
const AGGREGATION_INTERVAL: f64 = DAY;
/// An OOM kill asks for max(+100 MiB, x1.2): `--oom-bump-up-ratio`, `--oom-min-bump-up-bytes`
/// (`model/container.go` `RecordOOM`).
const OOM_BUMP_RATIO: f64 = 1.2;
const OOM_MIN_BUMP: f64 = 100.0 * MIB;
/// Target P90, bounds P50 / P95 (`--target-memory-percentile`,
/// `--recommendation-{lower,upper}-bound-memory-percentile`), x (1 + 0.15)
/// (`--recommendation-margin-fraction`), floor 250 MiB (`--pod-recommendation-min-memory-mb`);
/// `pkg/recommender/logic/recommender.go`.
const TARGET_PERCENTILE: f64 = 0.9;
const LOWER_PERCENTILE: f64 = 0.5;
const UPPER_PERCENTILE: f64 = 0.95;
const SAFETY_MARGIN: f64 = 1.15;
const MIN_MEMORY: f64 = 250.0 * MIB;
/// Confidence multipliers (`logic/estimator.go`): lower bound x (1 + 0.001/conf)^-2, upper bound
/// x (1 + 1/conf)^1.
const LOWER_CONF_MULTIPLIER: f64 = 0.001;
const LOWER_CONF_EXPONENT: f64 = -2.0;
const UPPER_CONF_MULTIPLIER: f64 = 1.0;
/// Updater (`pkg/updater/config/config.go`, `priority/update_priority_calculator.go`): resize when
/// at least 10 % off the target once the pod is 12 h old (`--pod-update-threshold`,
/// `--in-recommendation-bounds-eviction-lifetime-threshold`), or at an OOM kill within 10 minutes
/// of start (`--evict-after-oom-threshold`).
const UPDATE_THRESHOLD: f64 = 0.1;
const POD_LIFETIME_UPDATE_THRESHOLD: f64 = 43200.0;
const QUICK_OOM_SECONDS: f64 = 600.0;

/// Per-pod peak bookkeeping (`container.go`): the peak of the current 24 h interval is kept in
/// the histogram at the interval's end, replaced whenever a higher sample arrives.
#[derive(Clone, Copy, Debug)]
struct PodPeaks {
    end: f64,
    /// Usage peak of the interval.
    peak: f64,
    /// OOM-derived peak of the interval.
    oom_peak: f64,
}

/// The recommender's output.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Recommendation {
    target: f64,
    lower: f64,
    upper: f64,
}

/// The `vpa` policy state of one workload.
#[derive(Clone, Debug)]
pub struct VpaPolicy {
    histogram: Histogram,
    pods: HashMap<PodId, PodPeaks>,
    first_t: Option<f64>,
    /// Plain running sum of the durations observed: the confidence counts observed time.
    observed_seconds: f64,
}

impl Default for VpaPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl VpaPolicy {
    pub fn new() -> Self {
        Self {
            histogram: Histogram::new(),
            pods: HashMap::new(),
            first_t: None,
            observed_seconds: 0.0,
        }
    }

    /// Replaces the interval's recorded peak `max(P, Q)` by `value`.
    fn replace_peak(&mut self, end: f64, old: f64, value: f64) {
        self.histogram.subtract(old, end);
        self.histogram.add(value, end);
    }

    /// Records one sample's peak, then its OOM kill if any.
    fn record(&mut self, obs: &Observation) {
        let t = obs.t;
        let mut pod = match self.pods.get(&obs.pod).copied() {
            Some(mut pod) if t < pod.end => {
                let old = pod.peak.max(pod.oom_peak);
                // Unlike container.go, also when `old` is 0: a zero peak means "no data" in
                // these traces and must not pin the interval's peak (EVALUATION.md).
                if obs.peak > old {
                    self.replace_peak(pod.end, old, obs.peak);
                    pod.peak = obs.peak;
                }
                pod
            }
            existing => {
                // A new interval, whose peak so far is this sample's, even a zero one. A pod's
                // first sample opens its first interval this way, as in VPA's container.go
                // (REFERENCE.json agrees only with this reading). A later sample past the end
                // opens the interval it falls in.
                let end = existing.map_or(t + AGGREGATION_INTERVAL, |pod| {
                    pod.end
                        + ((t - pod.end) / AGGREGATION_INTERVAL).floor() * AGGREGATION_INTERVAL
                        + AGGREGATION_INTERVAL
                });
                self.histogram.add(obs.peak, end);
                PodPeaks {
                    end,
                    peak: obs.peak,
                    oom_peak: 0.0,
                }
            }
        };
        if obs.oom {
            let used = obs.current.request.max(pod.peak);
            let need = (used + OOM_MIN_BUMP).max(used * OOM_BUMP_RATIO);
            let old = pod.peak.max(pod.oom_peak);
            if need > old {
                self.replace_peak(pod.end, old, need);
                pod.oom_peak = need;
            }
        }
        self.pods.insert(obs.pod, pod);
    }

    /// Target and bounds at `t`, if the histogram holds anything.
    fn recommend(&self, t: f64) -> Option<Recommendation> {
        let h = &self.histogram;
        let target = (h.percentile(TARGET_PERCENTILE)? * SAFETY_MARGIN).max(MIN_MEMORY);
        let first = self.first_t.unwrap_or(t);
        let conf = ((t - first) / DAY).min(self.observed_seconds / DAY);
        let (lower, upper) = if conf > 0.0 {
            let lower = (h.percentile(LOWER_PERCENTILE)? * SAFETY_MARGIN)
                * (1.0 + LOWER_CONF_MULTIPLIER / conf).powf(LOWER_CONF_EXPONENT);
            let upper = (h.percentile(UPPER_PERCENTILE)? * SAFETY_MARGIN)
                * (1.0 + UPPER_CONF_MULTIPLIER / conf);
            (lower.max(MIN_MEMORY), upper.max(MIN_MEMORY))
        } else {
            (MIN_MEMORY, f64::INFINITY)
        };
        Some(Recommendation {
            target,
            lower,
            upper,
        })
    }
}

impl SizingPolicy for VpaPolicy {
    /// The admission controller applies the current target, if any.
    fn admit(&mut self, _pod: PodId, declared: Allocation, t: f64) -> Admission {
        match self.recommend(t) {
            Some(r) => Admission::Sized(Decision {
                allocation: declared.with_request(r.target),
                reason: format!("vpa: target {}", r.target),
            }),
            None => Admission::Declared,
        }
    }

    fn observe(&mut self, obs: &Observation) -> Option<Decision> {
        self.first_t.get_or_insert(obs.t);
        self.observed_seconds += obs.duration;
        self.record(obs);
        let r = self.recommend(obs.t)?;

        let req = obs.current.request;
        let age = obs.t - obs.pod_start;
        let reason = if req < r.lower || req > r.upper {
            "outside the recommended range"
        } else if obs.oom && age < QUICK_OOM_SECONDS {
            "quick OOM"
        } else if age >= POD_LIFETIME_UPDATE_THRESHOLD
            && (req - r.target).abs() / req >= UPDATE_THRESHOLD
        {
            "far from the target"
        } else {
            return None;
        };
        Some(Decision {
            allocation: obs.current.with_request(r.target),
            reason: format!("vpa: {reason}: target {}", r.target),
        })
    }

    /// The pod's interval bookkeeping goes; its peaks stay in the histogram and decay as usual
    /// (VPA's recommender, too, drops a deleted pod but keeps the aggregate it fed).
    fn pod_gone(&mut self, pod: PodId) {
        self.pods.remove(&pod);
    }
}

#[cfg(test)]
mod tests {
    use super::histogram::{bucket_of, bucket_start};
    use super::*;

    fn obs(t: f64, peak: f64, request: f64, oom: bool) -> Observation {
        Observation {
            pod: 1,
            t,
            usage: peak,
            peak,
            duration: 300.0,
            oom,
            current: Allocation::equal(request),
            pod_start: 0.0,
        }
    }

    #[test]
    fn first_sample_gives_a_floored_target_and_open_bounds() {
        let mut v = VpaPolicy::new();
        // conf = 0: lower = 250 MiB, upper = infinity; request 100 MiB is below the lower bound.
        let d = v
            .observe(&obs(0.0, 50.0 * MIB, 100.0 * MIB, false))
            .unwrap();
        assert_eq!(d.allocation, Allocation::equal(MIN_MEMORY));
        // A request inside the bounds stays while the pod is young.
        assert_eq!(v.observe(&obs(300.0, 50.0 * MIB, 300.0 * MIB, false)), None);
    }

    #[test]
    fn quick_oom_bumps_the_target_at_once() {
        let mut v = VpaPolicy::new();
        let request = 1000.0 * MIB;
        assert_eq!(v.observe(&obs(0.0, 900.0 * MIB, request, false)), None);
        // OOM at 300 s with peak 1050 MiB: used = max(request, peak) = 1050 MiB,
        // need = max(1050 + 100, 1050 x 1.2) = 1260 MiB replaces the interval's peak.
        let d = v.observe(&obs(300.0, 1050.0 * MIB, request, true)).unwrap();
        let want = bucket_start(bucket_of(1050.0 * MIB * 1.2) + 1) * SAFETY_MARGIN;
        assert_eq!(d.allocation, Allocation::equal(want));
        assert!(d.reason.contains("quick OOM"), "{}", d.reason);
    }

    #[test]
    fn pod_gone_drops_the_pods_interval_but_not_the_histogram() {
        let mut v = VpaPolicy::new();
        v.observe(&obs(0.0, 2e9, 2e9, false));
        let mut other = obs(0.0, 1e9, 2e9, false);
        other.pod = 2;
        v.observe(&other);
        assert_eq!(v.pods.len(), 2);
        let before = v.recommend(300.0);
        v.pod_gone(1);
        assert_eq!(v.pods.keys().copied().collect::<Vec<_>>(), vec![2]);
        assert_eq!(v.recommend(300.0), before, "the learned peaks stay");
    }

    #[test]
    fn admission_uses_the_target_once_there_is_history() {
        let mut v = VpaPolicy::new();
        assert_eq!(v.admit(0, Allocation::equal(1.0), 0.0), Admission::Declared);
        v.observe(&obs(0.0, 2e9, 2e9, false));
        let Admission::Sized(d) = v.admit(1, Allocation::equal(1.0), 300.0) else {
            panic!("expected a sized admission");
        };
        assert_eq!(
            d.allocation.request,
            bucket_start(bucket_of(2e9) + 1) * SAFETY_MARGIN
        );
    }
}
