//! Exactly rounded floating-point sums, as Python's `math.fsum` computes them.
//!
//! The protocol (`EVALUATION.md`, "METRICS") defines every sum as exactly rounded so that two
//! implementations agree to the last bit whatever order or grouping they add in. This is
//! Shewchuk's adaptive-precision summation ("Adaptive Precision Floating-Point Arithmetic and Fast
//! Robust Geometric Predicates", 1997) as CPython's `math_fsum` applies it: a list of
//! non-overlapping partial sums whose exact total is the true sum, then a final round-half-even
//! correction across partials.

/// A running exactly rounded sum. Adding is amortised O(number of partials), which stays small
/// (a handful) for the values a trace produces.
#[derive(Clone, Debug, Default)]
pub struct ExactSum {
    /// Non-overlapping partial sums in increasing magnitude; their exact sum is the running total.
    partials: Vec<f64>,
    /// Plain sum of non-finite terms (and of intermediate overflows): `fsum` returns it when set,
    /// as CPython does for infinities and NaN.
    special: Option<f64>,
}

impl ExactSum {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one term, keeping the total exact.
    pub fn add(&mut self, value: f64) {
        if !value.is_finite() {
            self.special = Some(self.special.unwrap_or(0.0) + value);
            return;
        }
        let mut x = value;
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            // Two-sum of |x| >= |y|: hi + lo == x + y exactly.
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        if x.is_finite() {
            self.partials.push(x);
        } else {
            // Intermediate overflow: CPython raises; the evaluator never gets near 1e308, so
            // report the infinity instead of failing.
            self.special = Some(self.special.unwrap_or(0.0) + x);
        }
    }

    /// The exactly rounded (round-half-even) value of the sum so far.
    pub fn value(&self) -> f64 {
        if let Some(special) = self.special {
            return special;
        }
        let p = &self.partials;
        let Some(mut n) = p.len().checked_sub(1) else {
            return 0.0;
        };
        let mut hi = p[n];
        let mut lo = 0.0;
        // Sum from the top down until the sum becomes inexact.
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = p[n];
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        // Half-way cases: if the rest of the partials push `lo` the same way, round `hi` by
        // hand, because `hi + lo` alone would round half-even the wrong way.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            let yr = x - hi;
            if y == yr {
                hi = x;
            }
        }
        hi
    }
}

impl FromIterator<f64> for ExactSum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut sum = Self::new();
        for x in iter {
            sum.add(x);
        }
        sum
    }
}

/// `math.fsum(values)`.
pub fn fsum<I: IntoIterator<Item = f64>>(values: I) -> f64 {
    values.into_iter().collect::<ExactSum>().value()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cases from CPython's Lib/test/test_math.py (testFsum), expected values checked with
    // Python 3 `math.fsum`.
    #[test]
    fn matches_cpython_fsum_cases() {
        let p53 = 2f64.powi(53);
        let cases: Vec<(Vec<f64>, f64)> = vec![
            (vec![], 0.0),
            (vec![0.0], 0.0),
            (vec![1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50], 1e-100),
            (vec![p53, -0.5, -2f64.powi(-54)], p53 - 1.0),
            (vec![p53, 1.0, 2f64.powi(-100)], p53 + 2.0),
            (vec![p53 + 10.0, 1.0, 2f64.powi(-100)], p53 + 12.0),
            (vec![p53 - 4.0, 0.5, 2f64.powi(-54)], p53 - 3.0),
            (
                (1..=1000).map(|n| 1.0 / f64::from(n)).collect(),
                7.485470860550345,
            ),
            (
                (1..=1000).map(|n| (-1f64).powi(n) / f64::from(n)).collect(),
                -0.6926474305598203,
            ),
            (vec![1e16, 1.0, 1e-16], 10000000000000002.0),
            (
                vec![
                    1e16 - 2.0,
                    1.0 - 2f64.powi(-53),
                    -(1e16 - 2.0),
                    -(1.0 - 2f64.powi(-53)),
                ],
                0.0,
            ),
        ];
        for (values, want) in cases {
            assert_eq!(fsum(values.iter().copied()), want, "fsum({values:?})");
        }
    }

    #[test]
    fn tenths_sum_to_one_where_naive_sum_does_not() {
        let naive: f64 = [0.1; 10].iter().sum();
        assert_ne!(naive, 1.0);
        assert_eq!(fsum([0.1; 10]), 1.0);
    }

    #[test]
    fn result_does_not_depend_on_order() {
        let values: Vec<f64> = (0..2000)
            .map(|i| f64::from(i).sin() * 10f64.powi(i % 17))
            .collect();
        let forward = fsum(values.iter().copied());
        let backward = fsum(values.iter().rev().copied());
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(forward, backward);
        assert_eq!(forward, fsum(sorted));
    }

    #[test]
    fn integer_valued_terms_sum_like_exact_integers() {
        // Below 2^53 every partial sum is exact, so fsum must equal the integer sum.
        let ints: Vec<i64> = (0..5000).map(|i| (i * 7919) % 100_003 - 50_000).collect();
        let want = ints.iter().sum::<i64>() as f64;
        assert_eq!(fsum(ints.iter().map(|&i| i as f64)), want);
    }

    #[test]
    fn infinity_propagates() {
        assert_eq!(fsum([1.0, f64::INFINITY, 2.0]), f64::INFINITY);
        assert!(fsum([f64::INFINITY, f64::NEG_INFINITY]).is_nan());
    }
}
