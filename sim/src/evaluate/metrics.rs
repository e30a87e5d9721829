//! The metrics of a replay (`EVALUATION.md`, "METRICS"): per-sample terms summed exactly per
//! workload, then combined across workloads by an exactly rounded sum of the workload sums, so
//! that the whole-set figures do not depend on grouping or order.
use serde::Serialize;

use super::fsum::{ExactSum, fsum};

/// Seconds per hour and per day.
const HOUR: f64 = 3600.0;
const DAY: f64 = 86400.0;

/// Accumulates the samples of one workload as the engine replays them.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    d: ExactSum,
    req_slack: ExactSum,
    req: ExactSum,
    lim_slack: ExactSum,
    lim: ExactSum,
    under: ExactSum,
    usage: ExactSum,
    samples: u64,
    ooms: u64,
    resizes: u64,
}

impl Tally {
    /// One sample's terms, each computed in f64 in the order the protocol writes it.
    pub fn sample(&mut self, d: f64, usage: f64, request: f64, limit: f64, oom: bool) {
        self.d.add(d);
        self.req_slack.add(d * (request - usage).max(0.0));
        self.req.add(d * request);
        self.lim_slack.add(d * (limit - usage).max(0.0));
        self.lim.add(d * limit);
        self.under.add(d * (usage - request).max(0.0));
        self.usage.add(d * usage);
        self.samples += 1;
        self.ooms += u64::from(oom);
    }

    /// One in-place resize.
    pub fn resize(&mut self) {
        self.resizes += 1;
    }

    /// The workload's sums. `days` and `oom_days` count its (replica, day) pairs.
    pub fn finish(&self, days: u64, oom_days: u64) -> Sums {
        Sums {
            d: self.d.value(),
            req_slack: self.req_slack.value(),
            req: self.req.value(),
            lim_slack: self.lim_slack.value(),
            lim: self.lim.value(),
            under: self.under.value(),
            usage: self.usage.value(),
            samples: self.samples,
            ooms: self.ooms,
            resizes: self.resizes,
            days,
            oom_days,
        }
    }
}

/// The exact sums and counts of one workload: everything the metrics are computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sums {
    pub d: f64,
    pub req_slack: f64,
    pub req: f64,
    pub lim_slack: f64,
    pub lim: f64,
    pub under: f64,
    pub usage: f64,
    pub samples: u64,
    pub ooms: u64,
    pub resizes: u64,
    /// (replica, day) pairs with a sample.
    pub days: u64,
    /// Those pairs with at least one OOM kill.
    pub oom_days: u64,
}

/// The metrics of one workload, one source or the whole set, as printed and serialised.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Share of requested byte-seconds not used.
    pub slack: f64,
    /// Share of limit byte-seconds not used.
    pub limit_slack: f64,
    /// Used byte-seconds above the request, as a share of all used byte-seconds.
    pub under: f64,
    pub ooms_per_1k_container_hours: f64,
    /// Share of (replica, day) pairs without an OOM kill.
    pub oom_free_container_days: f64,
    /// `None` for the oracle, whose resizes are not counted.
    pub resizes_per_container_day: Option<f64>,
    pub samples: u64,
    pub ooms: u64,
    pub resizes: Option<u64>,
    pub container_hours: f64,
    /// Wall time of the replay (the sum over the workloads included).
    pub replay_seconds: f64,
}

/// `num / den`, 0.0 when the denominator is 0.
fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 { 0.0 } else { num / den }
}

impl Metrics {
    /// Metrics of a group of workloads from their sums: each sum is the exactly rounded sum of
    /// the workload sums. `count_resizes` is false for the oracle.
    pub fn from_sums<'a>(
        sums: impl IntoIterator<Item = &'a Sums> + Clone,
        count_resizes: bool,
        replay_seconds: f64,
    ) -> Self {
        let total = |f: fn(&Sums) -> f64| fsum(sums.clone().into_iter().map(f));
        let count = |f: fn(&Sums) -> u64| sums.clone().into_iter().map(f).sum::<u64>();
        let d = total(|s| s.d);
        let (ooms, resizes) = (count(|s| s.ooms), count(|s| s.resizes));
        let (days, oom_days) = (count(|s| s.days), count(|s| s.oom_days));
        Metrics {
            slack: ratio(total(|s| s.req_slack), total(|s| s.req)),
            limit_slack: ratio(total(|s| s.lim_slack), total(|s| s.lim)),
            under: ratio(total(|s| s.under), total(|s| s.usage)),
            ooms_per_1k_container_hours: ratio(1000.0 * ooms as f64, d / HOUR),
            oom_free_container_days: if days == 0 {
                1.0
            } else {
                (days - oom_days) as f64 / days as f64
            },
            resizes_per_container_day: count_resizes.then(|| ratio(resizes as f64, d / DAY)),
            samples: count(|s| s.samples),
            ooms,
            resizes: count_resizes.then_some(resizes),
            container_hours: d / HOUR,
            replay_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_with_zero_denominators_are_zero_and_no_days_is_oom_free() {
        let m = Metrics::from_sums(&[Sums::default()], true, 0.0);
        assert_eq!(m.slack, 0.0);
        assert_eq!(m.under, 0.0);
        assert_eq!(m.ooms_per_1k_container_hours, 0.0);
        assert_eq!(m.oom_free_container_days, 1.0);
        assert_eq!(m.resizes_per_container_day, Some(0.0));
    }

    #[test]
    fn tally_terms_follow_the_protocol() {
        // 60 s at usage 30 with request 40, limit 50; then 60 s at usage 60 (OOM if peak > 50).
        let mut t = Tally::default();
        t.sample(60.0, 30.0, 40.0, 50.0, false);
        t.sample(60.0, 60.0, 40.0, 50.0, true);
        t.resize();
        let s = t.finish(1, 1);
        assert_eq!((s.req_slack, s.req), (600.0, 4800.0));
        assert_eq!((s.lim_slack, s.lim), (1200.0, 6000.0));
        assert_eq!((s.under, s.usage), (1200.0, 5400.0));
        let m = Metrics::from_sums(&[s], true, 0.0);
        assert_eq!(m.slack, 600.0 / 4800.0);
        assert_eq!(m.limit_slack, 0.2);
        assert_eq!(m.under, 1200.0 / 5400.0);
        assert_eq!(m.ooms_per_1k_container_hours, 1000.0 / (120.0 / 3600.0));
        assert_eq!(m.oom_free_container_days, 0.0);
        assert_eq!(m.resizes_per_container_day, Some(1.0 / (120.0 / 86400.0)));
        assert_eq!(m.container_hours, 120.0 / 3600.0);
    }

    #[test]
    fn group_sums_are_exact_sums_of_workload_sums_and_oracle_has_no_resizes() {
        let a = Sums {
            d: 0.1,
            req: 1.0,
            req_slack: 1e16,
            days: 2,
            oom_days: 1,
            resizes: 3,
            ..Sums::default()
        };
        let b = Sums {
            d: 0.2,
            req: 1.0,
            req_slack: 2.0,
            days: 2,
            ..Sums::default()
        };
        let m = Metrics::from_sums(&[a, b], false, 0.0);
        assert_eq!(m.container_hours, fsum([0.1, 0.2]) / 3600.0);
        assert_eq!(m.slack, (1e16 + 2.0) / 2.0);
        assert_eq!(m.oom_free_container_days, 0.75);
        assert_eq!((m.resizes, m.resizes_per_container_day), (None, None));
    }
}
