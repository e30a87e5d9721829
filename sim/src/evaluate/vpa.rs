//! Baseline `vpa`: the Kubernetes Vertical Pod Autoscaler 1.8 with its default settings
//! (recommender, in-place updater, admission controller) for one memory container, as
//! `EVALUATION.md` ("POLICIES", `vpa`) pins it down. Constants are VPA's defaults; the file and
//! flag each comes from in the VPA source is named beside it. Deliberate differences from the
//! real VPA are listed at the end of `EVALUATION.md`.
use std::collections::HashMap;

use rightsize_policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};

const MIB: f64 = 1_048_576.0;
const DAY: f64 = 86400.0;

/// `histogram_options.go` memory histogram: first bucket 1e7 bytes, 5 % growth, up to 1e12.
const FIRST_BUCKET_SIZE: f64 = 1e7;
const BUCKET_RATIO: f64 = 1.0 + 0.05;
/// `int(ceil(ln(1e12*(R-1)/F + 1) / ln(R))) + 1`; checked by a test.
const NUM_BUCKETS: usize = 176;
/// `decaying_histogram.go`: weights halve every 24 h (`--memory-histogram-decay-half-life`).
const HALF_LIFE: f64 = DAY;
/// The reference time moves once a sample would be weighted 2^100 or more.
const MAX_DECAY_EXPONENT: f64 = 100.0;
/// `histogram.go`: a bucket left with less than this after a subtraction is emptied.
const SUBTRACT_EPSILON: f64 = 1e-4;
/// `aggregations_config.go`: one memory peak per container per 24 h
/// (`--memory-aggregation-interval`).
const AGGREGATION_INTERVAL: f64 = DAY;
/// `OOMBumpUpRatio` and `OOMMinBumpUp`: an OOM kill asks for max(+100 MiB, x1.2).
const OOM_BUMP_RATIO: f64 = 1.2;
const OOM_MIN_BUMP: f64 = 100.0 * MIB;
/// `recommender/logic`: target P90, bounds P50 / P95, 15 % safety margin, 250 MiB floor.
const TARGET_PERCENTILE: f64 = 0.9;
const LOWER_PERCENTILE: f64 = 0.5;
const UPPER_PERCENTILE: f64 = 0.95;
const SAFETY_MARGIN: f64 = 1.15;
const MIN_MEMORY: f64 = 250.0 * MIB;
/// Confidence multipliers: lower bound x (1 + 0.001/conf)^-2, upper bound x (1 + 1/conf)^1.
const LOWER_CONF_MULTIPLIER: f64 = 0.001;
const LOWER_CONF_EXPONENT: f64 = -2.0;
const UPPER_CONF_MULTIPLIER: f64 = 1.0;
/// Updater: resize when >= 10 % off the target once the pod is 12 h old, or at an OOM kill
/// within 10 minutes of start (`updater/priority`).
const UPDATE_THRESHOLD: f64 = 0.1;
const POD_LIFETIME_UPDATE_THRESHOLD: f64 = 43200.0;
const QUICK_OOM_SECONDS: f64 = 600.0;

/// Start of bucket `n`.
fn bucket_start(n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        FIRST_BUCKET_SIZE * (BUCKET_RATIO.powf(n as f64) - 1.0) / (BUCKET_RATIO - 1.0)
    }
}

/// Bucket holding `value`.
fn bucket_of(value: f64) -> usize {
    if value < FIRST_BUCKET_SIZE {
        return 0;
    }
    let b = ((value * (BUCKET_RATIO - 1.0) / FIRST_BUCKET_SIZE + 1.0).ln() / BUCKET_RATIO.ln())
        as usize;
    b.min(NUM_BUCKETS - 1)
}

/// Rounds to the nearest multiple of the half-life, halves up (Go's `time.Round`).
fn round_to_half_life(ts: f64) -> f64 {
    ((ts + HALF_LIFE / 2.0) / HALF_LIFE).floor() * HALF_LIFE
}

/// VPA's decaying exponential histogram of memory peaks.
#[derive(Clone, Debug)]
struct Histogram {
    weights: [f64; NUM_BUCKETS],
    /// Set at the first addition.
    reference: Option<f64>,
}

impl Histogram {
    fn new() -> Self {
        Self {
            weights: [0.0; NUM_BUCKETS],
            reference: None,
        }
    }

    /// The weight of a sample at `ts`, moving the reference time forward first if `ts` is too
    /// far ahead of it. `None` before the first addition.
    fn decayed_weight(&mut self, ts: f64) -> Option<f64> {
        let mut reference = self.reference?;
        if ts > reference + MAX_DECAY_EXPONENT * HALF_LIFE {
            let new = round_to_half_life(ts);
            let scale = ((reference - new) / HALF_LIFE).exp2();
            self.weights.iter_mut().for_each(|w| *w *= scale);
            reference = new;
            self.reference = Some(new);
        }
        Some(((ts - reference) / HALF_LIFE).exp2())
    }

    fn add(&mut self, value: f64, ts: f64) {
        if self.reference.is_none() {
            self.reference = Some(round_to_half_life(ts));
        }
        let w = self.decayed_weight(ts).unwrap_or(1.0);
        self.weights[bucket_of(value)] += w;
    }

    fn subtract(&mut self, value: f64, ts: f64) {
        let b = bucket_of(value);
        // Before any addition every bucket is empty: the subtraction leaves it at 0.
        let Some(w) = self.decayed_weight(ts) else {
            self.weights[b] = 0.0;
            return;
        };
        if w > self.weights[b] - SUBTRACT_EPSILON {
            self.weights[b] = 0.0;
        } else {
            self.weights[b] -= w;
        }
    }

    /// The `p` percentile as the end of the bucket reaching it; `None` when empty.
    fn percentile(&self, p: f64) -> Option<f64> {
        let total: f64 = self.weights.iter().sum();
        if total == 0.0 {
            return None;
        }
        let first = self.weights.iter().position(|&w| w > 0.0)?;
        let threshold = p * total;
        let mut partial = 0.0;
        let mut bucket = NUM_BUCKETS - 1;
        for (b, &w) in self.weights.iter().enumerate().skip(first) {
            partial += w;
            if partial >= threshold {
                bucket = b;
                break;
            }
        }
        Some(if bucket < NUM_BUCKETS - 1 {
            bucket_start(bucket + 1)
        } else {
            bucket_start(bucket)
        })
    }
}

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

    /// `target` with the limit scaled in proportion to `like`.
    fn sized(like: Allocation, target: f64) -> Allocation {
        let ratio = if like.request > 0.0 {
            like.limit / like.request
        } else {
            1.0
        };
        Allocation {
            request: target,
            limit: target * ratio,
        }
    }
}

impl SizingPolicy for VpaPolicy {
    /// The admission controller applies the current target, if any.
    fn admit(&mut self, _pod: PodId, declared: Allocation, t: f64) -> Admission {
        match self.recommend(t) {
            Some(r) => Admission::Sized(Decision {
                allocation: Self::sized(declared, r.target),
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
            allocation: Self::sized(obs.current, r.target),
            reason: format!("vpa: {reason}: target {}", r.target),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_count_follows_the_formula() {
        let r = BUCKET_RATIO;
        let n = ((1e12 * (r - 1.0) / FIRST_BUCKET_SIZE + 1.0).ln() / r.ln()).ceil() as usize + 1;
        assert_eq!(NUM_BUCKETS, n);
    }

    #[test]
    fn buckets_are_exponential() {
        assert_eq!(bucket_of(0.0), 0);
        assert_eq!(bucket_of(9_999_999.0), 0);
        assert_eq!(bucket_of(1e7), 1);
        assert_eq!(bucket_start(1), 1e7);
        assert_eq!(bucket_of(bucket_start(10) * 1.000001), 10);
        assert_eq!(bucket_of(1e15), NUM_BUCKETS - 1);
    }

    #[test]
    fn weights_double_per_half_life_from_a_rounded_reference() {
        let mut h = Histogram::new();
        h.add(0.0, 1.5 * DAY); // reference rounds up to 2 days: weight 2^-0.5
        assert_eq!(h.reference, Some(2.0 * DAY));
        h.add(0.0, 3.0 * DAY); // weight 2
        assert_eq!(h.weights[0], 0.5f64.sqrt() + 2.0);
    }

    #[test]
    fn reference_moves_after_a_hundred_half_lives() {
        let mut h = Histogram::new();
        h.add(0.0, 0.0);
        h.add(2e7, 101.0 * DAY); // moves the reference to day 101: old weight 1 becomes 2^-101
        assert_eq!(h.reference, Some(101.0 * DAY));
        assert_eq!(h.weights[0], 2f64.powi(-101));
        assert_eq!(h.weights[bucket_of(2e7)], 1.0);
    }

    #[test]
    fn subtracting_nearly_everything_empties_the_bucket() {
        let mut h = Histogram::new();
        h.add(0.0, 0.0);
        h.add(0.0, 0.0);
        h.subtract(0.0, 0.0);
        assert_eq!(h.weights[0], 1.0);
        h.subtract(0.0, -0.00001); // weight just below 1, within epsilon
        assert_eq!(h.weights[0], 0.0);
        assert_eq!(h.percentile(0.5), None);
    }

    #[test]
    fn percentile_is_the_end_of_the_bucket_reaching_it() {
        let mut h = Histogram::new();
        for v in [1e7, 2e7, 3e7, 4e7] {
            h.add(v, 0.0);
        }
        assert_eq!(h.percentile(0.5), Some(bucket_start(bucket_of(2e7) + 1)));
        assert_eq!(h.percentile(0.9), Some(bucket_start(bucket_of(4e7) + 1)));
        let mut top = Histogram::new();
        top.add(1e15, 0.0);
        assert_eq!(top.percentile(0.9), Some(bucket_start(NUM_BUCKETS - 1)));
    }

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
