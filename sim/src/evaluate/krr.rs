//! Baseline `krr`: robusta KRR's "simple" strategy applied at admission, as its enforcer webhook
//! does (`EVALUATION.md`, "POLICIES", `krr`): the maximum memory peak of the last 14 days plus
//! 15 %, floored at KRR's `--mem-min` of 100 MB. It never resizes a running pod.
use std::collections::VecDeque;

use rightsize_policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};

/// KRR's default history window (`--history_duration` 336 h).
const HISTORY_SECONDS: f64 = 14.0 * 86400.0;
/// Stands in for KRR's minimum of 100 data points: 3 h of history before it recommends.
const MIN_HISTORY_SECONDS: f64 = 10800.0;
/// `--memory_buffer_percentage` 15.
const BUFFER: f64 = 1.15;
/// `--mem-min` 100 MB: without it a workload idle for 14 days would get 0 bytes.
const MIN_MEMORY: f64 = 1e8;

/// The `krr` policy state of one workload.
#[derive(Clone, Debug, Default)]
pub struct KrrPolicy {
    first_t: Option<f64>,
    /// Sliding-window maximum of (t, peak): peaks strictly decrease from front to back, so the
    /// front is the maximum of the samples still in the window.
    window: VecDeque<(f64, f64)>,
}

impl KrrPolicy {
    pub fn new() -> Self {
        Self::default()
    }

    /// Maximum peak of the samples with timestamp >= `t - 14 d`; forgets older ones (admission
    /// times never go back).
    fn window_max(&mut self, t: f64) -> Option<f64> {
        while self
            .window
            .front()
            .is_some_and(|&(ts, _)| ts < t - HISTORY_SECONDS)
        {
            self.window.pop_front();
        }
        self.window.front().map(|&(_, peak)| peak)
    }
}

impl SizingPolicy for KrrPolicy {
    fn admit(&mut self, _pod: PodId, declared: Allocation, t: f64) -> Admission {
        let Some(first) = self.first_t else {
            return Admission::Declared;
        };
        if t - first < MIN_HISTORY_SECONDS {
            return Admission::Declared;
        }
        match self.window_max(t) {
            Some(peak) => {
                let size = (peak * BUFFER).max(MIN_MEMORY);
                let ratio = if declared.request > 0.0 {
                    declared.limit / declared.request
                } else {
                    1.0
                };
                Admission::Sized(Decision {
                    allocation: Allocation {
                        request: size,
                        limit: size * ratio,
                    },
                    reason: format!("krr: 14-day peak {peak} + 15 %"),
                })
            }
            None => Admission::Declared,
        }
    }

    fn observe(&mut self, obs: &Observation) -> Option<Decision> {
        self.first_t.get_or_insert(obs.t);
        while self.window.back().is_some_and(|&(_, p)| p <= obs.peak) {
            self.window.pop_back();
        }
        self.window.push_back((obs.t, obs.peak));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observe(k: &mut KrrPolicy, t: f64, peak: f64) {
        let obs = Observation {
            pod: 0,
            t,
            usage: peak,
            peak,
            duration: 300.0,
            oom: false,
            current: Allocation::equal(1e9),
            pod_start: 0.0,
        };
        assert_eq!(k.observe(&obs), None);
    }

    fn admitted(k: &mut KrrPolicy, t: f64) -> Option<f64> {
        match k.admit(9, Allocation::equal(5e8), t) {
            Admission::Declared => None,
            Admission::Sized(d) => Some(d.allocation.request),
        }
    }

    #[test]
    fn declared_until_three_hours_of_history() {
        let mut k = KrrPolicy::new();
        assert_eq!(admitted(&mut k, 0.0), None);
        observe(&mut k, 0.0, 2e8);
        assert_eq!(admitted(&mut k, 10799.0), None);
        assert_eq!(admitted(&mut k, 10800.0), Some(2e8 * 1.15));
    }

    #[test]
    fn max_peak_of_the_last_fourteen_days_plus_buffer() {
        let mut k = KrrPolicy::new();
        observe(&mut k, 0.0, 9e8);
        observe(&mut k, 86400.0, 3e8);
        observe(&mut k, 2.0 * 86400.0, 4e8);
        observe(&mut k, 3.0 * 86400.0, 2e8);
        assert_eq!(admitted(&mut k, 14.0 * 86400.0), Some(9e8 * 1.15));
        // The 9e8 sample leaves the window after 14 days; 4e8 (day 2) is the max after it.
        assert_eq!(admitted(&mut k, 14.0 * 86400.0 + 1.0), Some(4e8 * 1.15));
        assert_eq!(admitted(&mut k, 16.0 * 86400.0 + 1.0), Some(2e8 * 1.15));
    }

    #[test]
    fn idle_window_is_declared_and_small_peaks_are_floored() {
        let mut k = KrrPolicy::new();
        observe(&mut k, 0.0, 1e6);
        assert_eq!(admitted(&mut k, 86400.0), Some(1e8));
        assert_eq!(admitted(&mut k, 15.0 * 86400.0), None);
    }
}
