use super::*;
use crate::evaluate::report::WorkloadRun;

/// Sums of a workload with `slack` of its requested byte-seconds unused and `ooms` kills.
fn sums(slack: f64, ooms: u64) -> Sums {
    Sums {
        d: 3600.0,
        req: 100.0,
        req_slack: 100.0 * slack,
        ooms,
        ..Sums::default()
    }
}

fn run(name: &str, workloads: &[(&str, Sums)]) -> PolicyRun {
    PolicyRun {
        name: name.to_owned(),
        counts_resizes: true,
        workloads: workloads
            .iter()
            .map(|(n, s)| WorkloadRun {
                name: (*n).to_owned(),
                sums: *s,
                seconds: 0.0,
            })
            .collect(),
        seconds: 0.0,
    }
}

fn workload(name: &str) -> Workload {
    Workload {
        name: name.to_owned(),
        replicas: Vec::new(),
    }
}

#[test]
fn halves_take_every_other_workload_of_each_source_in_name_order() {
    let all = || {
        ["a-1", "a-2", "a-3", "b-1", "b-2", "c-1"]
            .map(workload)
            .to_vec()
    };
    let names = |ws: Vec<Workload>| ws.into_iter().map(|w| w.name).collect::<Vec<_>>();
    assert_eq!(names(Half::Odd.select(all())), ["a-1", "a-3", "b-1", "c-1"]);
    assert_eq!(names(Half::Even.select(all())), ["a-2", "b-2"]);
}

#[test]
fn a_win_on_every_workload_wins_every_resample_and_both_halves() {
    let names = ["a-1", "a-2", "a-3", "b-1"];
    let ours = run("rightsize", &names.map(|n| (n, sums(0.2, 0))));
    let theirs = run("vpa", &names.map(|n| (n, sums(0.3, 1))));
    let r = compare(&ours, &theirs, 50, 7);
    for scope in r.sources.values().chain([&r.overall]) {
        assert_eq!(scope.bootstrap.win, 1.0);
        assert_eq!(scope.bootstrap.bar, 1.0);
        assert!(scope.whole.win());
    }
    assert!(r.overall.odd.win() && r.overall.even.win());
    // Source b has one workload: its even half is empty, a tie on nothing, not a win.
    assert_eq!(r.sources["b"].even.workloads, 0);
    assert!(!r.sources["b"].even.win());
    assert_eq!(r.overall.whole.workloads, 4);
    assert_eq!(
        (
            r.overall.whole.challenger_ooms,
            r.overall.whole.baseline_ooms
        ),
        (0, 4)
    );
}

#[test]
fn a_win_carried_by_one_workload_is_fragile_and_the_draws_are_reproducible() {
    // Rightsize loses slack on a-1 and a-2 by a little and wins a-3 by a lot; kills are tied
    // except on a-3, so some resamples (those without a-3) are not wins.
    let ours = run(
        "rightsize",
        &[
            ("a-1", sums(0.31, 1)),
            ("a-2", sums(0.31, 1)),
            ("a-3", sums(0.1, 0)),
        ],
    );
    let theirs = run(
        "vpa",
        &[
            ("a-1", sums(0.3, 1)),
            ("a-2", sums(0.3, 1)),
            ("a-3", sums(0.3, 2)),
        ],
    );
    let r = compare(&ours, &theirs, 200, 1);
    let b = &r.sources["a"].bootstrap;
    assert!(r.sources["a"].whole.win());
    // P(a-3 never drawn in 3 draws) = (2/3)^3 ≈ 0.30.
    assert!(b.win > 0.5 && b.win < 0.9, "{b:?}");
    assert_eq!(b.win, b.fewer_ooms, "every draw with a-3 wins both");
    assert_eq!(b.no_more_ooms, 1.0);
    assert_eq!(r, compare(&ours, &theirs, 200, 1), "same seed, same draws");
    assert_ne!(
        r.sources["a"].bootstrap,
        compare(&ours, &theirs, 200, 2).sources["a"].bootstrap
    );
    // The halves: a-1 + a-3 (odd) win, a-2 (even) loses slack at a tie in kills.
    assert_eq!(r.sources["a"].odd.verdict(), "win");
    assert_eq!(r.sources["a"].even.verdict(), "lose");
    let table = r.table();
    assert!(
        table.contains("robustness of rightsize against vpa: 200 bootstrap"),
        "{table}"
    );
    assert!(table.lines().any(|l| l.starts_with("overall")), "{table}");
}
