//! The replay protocol on tiny hand-computed traces: metrics, rollout re-admission, pending
//! resizes and the no-delay baselines (EVALUATION.md, "PODS AND PROCESSING OF ONE SAMPLE").
use std::cell::RefCell;
use std::rc::Rc;

use rightsize_policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};
use rightsize_sim::evaluate::engine::{Mode, ReplayOptions, replay};
use rightsize_sim::evaluate::metrics::Metrics;
use rightsize_sim::evaluate::registry::StaticPolicy;
use rightsize_sim::evaluate::trace::{Replica, Workload};

/// Two replicas. `a` (rank 0, declared 200 from its first known provisioned value):
///   t    usage peak prov   d (median step 60, cap 120)
///   0    100   150  200    60
///   60   150   250  200    60   peak 250 > 200: OOM under static
///   120  50    50   -      120  (gap of 180 capped)
///   300  100   100  300    60   (last sample: median step)
/// `b` (rank 1, no known size: declared = default 100):
///   60   10    10   0      60
///   120  120   130  0      60   peak 130 > 100: OOM under static; usage above request
fn tiny() -> Workload {
    Workload {
        name: "test-tiny".to_owned(),
        replicas: vec![
            Replica::from_rows(
                "a.csv",
                &[
                    (0, 100.0, 150.0, 200.0),
                    (60, 150.0, 250.0, 200.0),
                    (120, 50.0, 50.0, 0.0),
                    (300, 100.0, 100.0, 300.0),
                ],
            ),
            Replica::from_rows("b.csv", &[(60, 10.0, 10.0, 0.0), (120, 120.0, 130.0, 0.0)]),
        ],
    }
}

fn options(rollout: f64) -> ReplayOptions {
    ReplayOptions {
        rollout,
        default_memory: 100.0,
    }
}

fn metrics(policy: &mut dyn SizingPolicy, mode: Mode, rollout: f64) -> Metrics {
    let sums = replay(&tiny(), policy, mode, &options(rollout));
    Metrics::from_sums(&[sums], mode != Mode::Oracle, 0.0)
}

#[test]
fn static_metrics_by_hand() {
    let m = metrics(&mut StaticPolicy, Mode::Policy, 86400.0);
    // slack terms d*(req-u)+: a 60*100 + 60*50 + 120*150 + 60*100, b 60*90 + 0 = 38400
    // request terms d*req: a 60*200 + 60*200 + 120*200 + 60*200, b 60*100 + 60*100 = 72000
    assert_eq!(m.slack, 38400.0 / 72000.0);
    assert_eq!(m.limit_slack, 38400.0 / 72000.0);
    // under: only b at 120, 60*(120-100) = 1200; usage terms 6000+9000+6000+6000 + 600+7200
    assert_eq!(m.under, 1200.0 / 34800.0);
    // two OOMs in S(d) = 420 s
    assert_eq!(m.ooms, 2);
    assert_eq!(m.ooms_per_1k_container_hours, 2000.0 / (420.0 / 3600.0));
    assert_eq!(m.container_hours, 420.0 / 3600.0);
    // (a, day 0) and (b, day 0) both had an OOM
    assert_eq!(m.oom_free_container_days, 0.0);
    assert_eq!(
        (m.samples, m.resizes, m.resizes_per_container_day),
        (6, Some(0), Some(0.0))
    );
}

#[test]
fn trace_baseline_uses_each_samples_provisioned_size_without_delay() {
    let m = metrics(&mut StaticPolicy, Mode::Trace, 86400.0);
    // a: 200, 200, 200 (unknown: declared), 300 at t = 300: one resize, in force at once.
    // slack a 6000 + 3000 + 18000 + 60*200, b 5400 + 0 = 44400; requests 60000 - 12000 + 18000
    // + 12000 = 78000.
    assert_eq!(m.slack, 44400.0 / 78000.0);
    assert_eq!(m.ooms, 2);
    assert_eq!(m.resizes, Some(1));
    assert_eq!(m.resizes_per_container_day, Some(1.0 / (420.0 / 86400.0)));
}

#[test]
fn trace_baseline_counts_no_resize_at_an_admission_sample() {
    // With a 300 s rollout, a's pod is replaced exactly at t = 300, where its size changes.
    let m = metrics(&mut StaticPolicy, Mode::Trace, 300.0);
    assert_eq!(m.resizes, Some(0));
}

#[test]
fn oracle_sizes_every_sample_at_its_peak_and_counts_no_resizes() {
    let m = metrics(&mut StaticPolicy, Mode::Oracle, 86400.0);
    // slack d*(peak-u): a 60*50 + 60*100 + 0 + 0, b 0 + 60*10 = 9600; requests d*peak:
    // a 9000 + 15000 + 6000 + 6000, b 600 + 7800 = 44400.
    assert_eq!(m.slack, 9600.0 / 44400.0);
    assert_eq!(m.ooms, 0);
    assert_eq!(m.oom_free_container_days, 1.0);
    assert_eq!((m.resizes, m.resizes_per_container_day), (None, None));
}

/// Everything a scripted test policy saw.
#[derive(Default)]
struct Log {
    admits: Vec<(PodId, f64)>,
    observed: Vec<(PodId, f64, Allocation, f64)>,
    /// Pods reported gone, each with the number of admissions made by then.
    gone: Vec<(PodId, usize)>,
}

/// Admits at a fixed size and answers every observation with `current + bump`.
struct Scripted {
    log: Rc<RefCell<Log>>,
    admit: Option<f64>,
    bump: f64,
}

impl SizingPolicy for Scripted {
    fn admit(&mut self, pod: PodId, _declared: Allocation, t: f64) -> Admission {
        self.log.borrow_mut().admits.push((pod, t));
        match self.admit {
            Some(size) => Admission::Sized(Decision {
                allocation: Allocation::equal(size),
                reason: "scripted".to_owned(),
            }),
            None => Admission::Declared,
        }
    }

    fn observe(&mut self, obs: &Observation) -> Option<Decision> {
        self.log
            .borrow_mut()
            .observed
            .push((obs.pod, obs.t, obs.current, obs.pod_start));
        (self.bump != 0.0).then(|| Decision {
            allocation: Allocation::equal(obs.current.request + self.bump),
            reason: "scripted".to_owned(),
        })
    }

    fn pod_gone(&mut self, pod: PodId) {
        let mut log = self.log.borrow_mut();
        let admits = log.admits.len();
        log.gone.push((pod, admits));
    }
}

fn scripted(admit: Option<f64>, bump: f64, rollout: f64) -> (Log, Metrics) {
    let log = Rc::new(RefCell::new(Log::default()));
    let mut policy = Scripted {
        log: Rc::clone(&log),
        admit,
        bump,
    };
    let m = metrics(&mut policy, Mode::Policy, rollout);
    drop(policy);
    let log = Rc::try_unwrap(log).ok().expect("sole owner").into_inner();
    (log, m)
}

#[test]
fn first_pod_of_the_workload_gets_the_declared_size_without_asking() {
    let (log, _) = scripted(Some(500.0), 0.0, 0.0);
    // rollout 0: no re-admission; only b's first pod (t = 60) asks the policy.
    assert_eq!(log.admits, vec![(1, 60.0)]);
    let sizes: Vec<f64> = log.observed.iter().map(|o| o.2.request).collect();
    // order: a@0, a@60, b@60, a@120, b@120, a@300
    assert_eq!(sizes, vec![200.0, 200.0, 500.0, 200.0, 500.0, 200.0]);
    // No pod is ever replaced, so none is gone (pods still running at the end are not).
    assert!(log.gone.is_empty());
}

#[test]
fn rollout_readmits_a_pod_once_it_is_that_old() {
    let (log, _) = scripted(Some(500.0), 0.0, 120.0);
    // a: pod 0 at 0, replaced at 120 (120 >= 0 + 120) and at 300 (>= 120 + 120); b: pod 1 at 60,
    // still young at 120.
    assert_eq!(log.admits, vec![(1, 60.0), (2, 120.0), (3, 300.0)]);
    let seen: Vec<(PodId, f64, f64, f64)> = log
        .observed
        .iter()
        .map(|&(pod, t, a, start)| (pod, t, a.request, start))
        .collect();
    assert_eq!(
        seen,
        vec![
            (0, 0.0, 200.0, 0.0),
            (0, 60.0, 200.0, 0.0),
            (1, 60.0, 500.0, 60.0),
            (2, 120.0, 500.0, 120.0),
            (1, 120.0, 500.0, 60.0),
            (3, 300.0, 500.0, 300.0),
        ]
    );
}

#[test]
fn a_replaced_pod_is_reported_gone_once_its_successor_is_admitted() {
    let (log, _) = scripted(Some(500.0), 0.0, 120.0);
    // a's pod 0 goes when pod 2 is admitted at 120 (the second admission), pod 2 when pod 3 is
    // at 300 (the third); b's pod 1 and a's pod 3 still run at the end.
    assert_eq!(log.gone, vec![(0, 2), (2, 3)]);
}

#[test]
fn resize_takes_effect_at_the_next_sample_and_a_pending_one_dies_with_its_pod() {
    // Every observation asks for current + 1; rollout 120 s; admission answers 'declared'.
    let (log, m) = scripted(None, 1.0, 120.0);
    let seen: Vec<(f64, f64)> = log.observed.iter().map(|o| (o.1, o.2.request)).collect();
    assert_eq!(
        seen,
        vec![
            (0.0, 200.0),   // a, pod 0: declared; asks 201
            (60.0, 201.0),  // a: the resize is in force; asks 202
            (60.0, 100.0),  // b, pod 1: declared (default); asks 101
            (120.0, 200.0), // a, pod 2 at 120: 202 was pending and is dropped; declared again
            (120.0, 101.0), // b: its resize is in force
            (300.0, 200.0), // a, pod 3: 201 pending from t = 120 dropped again
        ]
    );
    // Every answer differed from the current pair: six resizes, counted when decided.
    assert_eq!(m.resizes, Some(6));
}

/// Answers every observation with the pair already in force.
struct Same;

impl SizingPolicy for Same {
    fn admit(&mut self, _: PodId, _: Allocation, _: f64) -> Admission {
        Admission::Declared
    }

    fn observe(&mut self, obs: &Observation) -> Option<Decision> {
        Some(Decision {
            allocation: obs.current,
            reason: "same".to_owned(),
        })
    }
}

#[test]
fn an_answer_equal_to_the_current_pair_is_no_resize() {
    let m = metrics(&mut Same, Mode::Policy, 86400.0);
    assert_eq!(m.resizes, Some(0));
}

#[test]
fn container_days_count_from_each_replicas_first_sample() {
    // One replica over three days with an OOM on day 1 only: 3 pairs, 2 OOM-free.
    let w = Workload {
        name: "test-days".to_owned(),
        replicas: vec![Replica::from_rows(
            "r.csv",
            &[
                (1000, 1.0, 1.0, 10.0),
                (87_399, 1.0, 1.0, 10.0),  // still day 0
                (87_400, 1.0, 11.0, 10.0), // day 1: OOM
                (87_500, 1.0, 12.0, 10.0), // day 1: second OOM, same pair
                (174_000, 1.0, 1.0, 10.0), // day 2
            ],
        )],
    };
    let sums = replay(&w, &mut StaticPolicy, Mode::Policy, &options(0.0));
    assert_eq!((sums.days, sums.oom_days, sums.ooms), (3, 1, 2));
    let m = Metrics::from_sums(&[sums], true, 0.0);
    assert_eq!(m.oom_free_container_days, 2.0 / 3.0);
}
