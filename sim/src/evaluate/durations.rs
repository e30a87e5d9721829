//! How long each sample of a replica stands for (`EVALUATION.md`, "SAMPLE DURATION").
//!
//! Sample i covers [t_i, t_{i+1}), but a gap longer than twice the usual step is a period without
//! data (a VM switched off, a scrape outage), not a long sample, so it is capped at twice the
//! replica's median step. The last sample has no successor and lasts one median step.

/// Median of the steps between consecutive timestamps: the mean of the two middle steps when
/// their count is even, 0 for a single sample.
pub fn median_step(timestamps: &[i64]) -> f64 {
    let mut steps: Vec<i64> = timestamps.windows(2).map(|w| w[1] - w[0]).collect();
    steps.sort_unstable();
    let n = steps.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => steps[n / 2] as f64,
        // Exact: steps are far below 2^52.
        _ => (steps[n / 2 - 1] + steps[n / 2]) as f64 / 2.0,
    }
}

/// The duration of every sample: `min(t[i+1] - t[i], 2 * median_step)`, the last one
/// `median_step`.
pub fn sample_durations(timestamps: &[i64]) -> Vec<f64> {
    let median = median_step(timestamps);
    let cap = 2.0 * median;
    timestamps
        .windows(2)
        .map(|w| ((w[1] - w[0]) as f64).min(cap))
        .chain((!timestamps.is_empty()).then_some(median))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_sample_lasts_zero_seconds() {
        assert_eq!(median_step(&[100]), 0.0);
        assert_eq!(sample_durations(&[100]), vec![0.0]);
    }

    #[test]
    fn no_samples_no_durations() {
        assert!(sample_durations(&[]).is_empty());
    }

    #[test]
    fn odd_step_count_takes_the_middle_step() {
        // steps 60, 60, 300: median 60, cap 120.
        assert_eq!(median_step(&[0, 60, 120, 420]), 60.0);
        assert_eq!(
            sample_durations(&[0, 60, 120, 420]),
            vec![60.0, 60.0, 120.0, 60.0]
        );
    }

    #[test]
    fn even_step_count_averages_the_two_middle_steps() {
        // steps 10, 20, 25, 1000 (sorted): median (20 + 25) / 2 = 22.5, cap 45.
        let t = [0, 20, 30, 1030, 1055];
        assert_eq!(median_step(&t), 22.5);
        assert_eq!(sample_durations(&t), vec![20.0, 10.0, 45.0, 25.0, 22.5]);
    }

    #[test]
    fn gap_is_capped_at_twice_the_median() {
        // A one-day gap in 5-minute samples counts as 10 minutes.
        let t = [0, 300, 600, 87_000, 87_300];
        assert_eq!(
            sample_durations(&t),
            vec![300.0, 300.0, 600.0, 300.0, 300.0]
        );
    }
}
