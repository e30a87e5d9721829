//! VPA's decaying exponential histogram of memory peaks (`histogram.go`,
//! `decaying_histogram.go`, `histogram_options.go`), exactly as `EVALUATION.md` ("POLICIES",
//! `vpa`, Histogram / Decay / Subtract / Percentile) specifies it.

const DAY: f64 = 86400.0;

/// Memory histogram (`pkg/recommender/util/histogram_options.go`): first bucket 1e7 bytes, 5 %
/// growth (`DefaultHistogramBucketSizeGrowth`), up to 1e12.
const FIRST_BUCKET_SIZE: f64 = 1e7;
const BUCKET_RATIO: f64 = 1.0 + 0.05;
/// `int(ceil(ln(1e12*(R-1)/F + 1) / ln(R))) + 1`; checked by a test.
const NUM_BUCKETS: usize = 176;
/// `decaying_histogram.go`: weights halve every 24 h (`--memory-histogram-decay-half-life`).
const HALF_LIFE: f64 = DAY;
/// The reference time moves once a sample would be weighted 2^100 or more.
const MAX_DECAY_EXPONENT: f64 = 100.0;
/// `histogram.go`: a bucket left with less than this (0.001 x the minimum sample weight 0.1)
/// after a subtraction is emptied.
const SUBTRACT_EPSILON: f64 = 1e-4;

/// Start of bucket `n`.
pub(super) fn bucket_start(n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        FIRST_BUCKET_SIZE * (BUCKET_RATIO.powf(n as f64) - 1.0) / (BUCKET_RATIO - 1.0)
    }
}

/// Bucket holding `value`.
pub(super) fn bucket_of(value: f64) -> usize {
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
pub(super) struct Histogram {
    weights: [f64; NUM_BUCKETS],
    /// Set at the first addition.
    reference: Option<f64>,
}

impl Histogram {
    pub(super) fn new() -> Self {
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

    pub(super) fn add(&mut self, value: f64, ts: f64) {
        if self.reference.is_none() {
            self.reference = Some(round_to_half_life(ts));
        }
        let w = self.decayed_weight(ts).unwrap_or(1.0);
        self.weights[bucket_of(value)] += w;
    }

    pub(super) fn subtract(&mut self, value: f64, ts: f64) {
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
    pub(super) fn percentile(&self, p: f64) -> Option<f64> {
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
}
