//! How robust one policy's win over another is (`evaluate --bootstrap N`): the development set
//! is a few dozen workloads, and the policies are judged on workloads nobody here has seen, so
//! a win carried by one or two workloads is not a win.
//!
//! From the per-workload sums of one replay (workloads are replayed independently, each with
//! fresh policy state, so any subset's figures are exact sums of its workloads' sums, with no
//! second replay) this computes, per source and overall:
//! - **bootstrap**: `resamples` draws, each drawing as many workloads as the source holds, with
//!   replacement, from that source alone (the overall figure of a draw sums the draws of every
//!   source, so a big source cannot crowd out a small one); the fraction of draws in which the
//!   challenger has less slack, fewer OOM kills, and both;
//! - **halves**: the odd-ranked and even-ranked workloads of each source in name order
//!   ([`Half`]), the split used to tune on one half and check on the other.
//!
//! Draws come from a seeded generator (`fastrand`, wyrand), so a report is reproducible.
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::metrics::{Metrics, Sums};
use super::report::PolicyRun;
use super::trace::{Workload, source_of};

/// Bootstrap draws when `--bootstrap` is given without a number.
pub const DEFAULT_RESAMPLES: usize = 200;
/// Seed of the bootstrap draws unless `--bootstrap-seed` says otherwise.
pub const DEFAULT_SEED: u64 = 1;
/// The policy whose win is measured, and the baseline it must beat (issue 10).
pub const CHALLENGER: &str = "rightsize";
pub const BASELINE: &str = "vpa";

/// Every other workload of each source, in name order (rank 1, 3, 5, … is odd).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Half {
    Odd,
    Even,
}

impl Half {
    /// Whether the workload of 0-based `rank` within its source belongs to this half.
    fn holds(self, rank: usize) -> bool {
        rank.is_multiple_of(2) == (self == Half::Odd)
    }

    /// The workloads of this half, in their order (`workloads` sorted by name, as loaded).
    pub fn select(self, workloads: Vec<Workload>) -> Vec<Workload> {
        let ranks = ranks_in_source(workloads.iter().map(|w| w.name.as_str()));
        workloads
            .into_iter()
            .zip(ranks)
            .filter_map(|(w, rank)| self.holds(rank).then_some(w))
            .collect()
    }
}

/// The 0-based rank of each name among the names of its source, in the order given.
fn ranks_in_source<'a>(names: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    names
        .map(|n| {
            let next = seen.entry(source_of(n)).or_insert(0);
            *next += 1;
            *next - 1
        })
        .collect()
}

/// Challenger and baseline figures of one group of workloads, and who won.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Duel {
    pub workloads: usize,
    pub challenger_slack: f64,
    pub baseline_slack: f64,
    pub challenger_ooms: u64,
    pub baseline_ooms: u64,
}

impl Duel {
    fn of<'a>(pairs: impl Iterator<Item = &'a (Sums, Sums)> + Clone) -> Self {
        let ours = Metrics::from_sums(pairs.clone().map(|p| &p.0), true, 0.0);
        let theirs = Metrics::from_sums(pairs.clone().map(|p| &p.1), true, 0.0);
        Self {
            workloads: pairs.count(),
            challenger_slack: ours.slack,
            baseline_slack: theirs.slack,
            challenger_ooms: ours.ooms,
            baseline_ooms: theirs.ooms,
        }
    }

    pub fn less_slack(&self) -> bool {
        self.challenger_slack < self.baseline_slack
    }

    /// Both policies replay the same samples, so fewer kills is a lower rate of kills.
    pub fn fewer_ooms(&self) -> bool {
        self.challenger_ooms < self.baseline_ooms
    }

    pub fn no_more_ooms(&self) -> bool {
        self.challenger_ooms <= self.baseline_ooms
    }

    /// Less slack and fewer OOM kills: the judging's "win".
    pub fn win(&self) -> bool {
        self.less_slack() && self.fewer_ooms()
    }

    /// Less slack and no more OOM kills: issue 10's per-source bar (ties on kills allowed).
    pub fn bar(&self) -> bool {
        self.less_slack() && self.no_more_ooms()
    }

    fn verdict(&self) -> &'static str {
        match (self.win(), self.bar()) {
            (true, _) => "win",
            (false, true) => "bar",
            _ => "lose",
        }
    }
}

/// Share of bootstrap draws in which each comparison held.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Fractions {
    pub less_slack: f64,
    pub fewer_ooms: f64,
    pub no_more_ooms: f64,
    pub win: f64,
    pub bar: f64,
}

impl Fractions {
    fn of(duels: &[Duel]) -> Self {
        let share = |f: fn(&Duel) -> bool| {
            duels.iter().filter(|d| f(d)).count() as f64 / duels.len().max(1) as f64
        };
        Self {
            less_slack: share(Duel::less_slack),
            fewer_ooms: share(Duel::fewer_ooms),
            no_more_ooms: share(Duel::no_more_ooms),
            win: share(Duel::win),
            bar: share(Duel::bar),
        }
    }
}

/// One row of the robustness report: a source, or `overall`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scope {
    pub whole: Duel,
    pub odd: Duel,
    pub even: Duel,
    pub bootstrap: Fractions,
}

/// The robustness of `challenger`'s win over `baseline`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Robustness {
    pub challenger: String,
    pub baseline: String,
    pub resamples: usize,
    pub seed: u64,
    pub sources: BTreeMap<String, Scope>,
    pub overall: Scope,
}

/// Per source (in name order) the (challenger, baseline) sums of each workload.
fn pairs_by_source(
    challenger: &PolicyRun,
    baseline: &PolicyRun,
) -> BTreeMap<String, Vec<(Sums, Sums)>> {
    let mut by_source: BTreeMap<String, Vec<(Sums, Sums)>> = BTreeMap::new();
    for (ours, theirs) in challenger.workloads.iter().zip(&baseline.workloads) {
        assert_eq!(
            ours.name, theirs.name,
            "both runs replay the same workloads"
        );
        by_source
            .entry(source_of(&ours.name).to_owned())
            .or_default()
            .push((ours.sums, theirs.sums));
    }
    by_source
}

/// The duel of the workloads of `pairs` whose rank is in `half`.
fn half_duel<'a>(pairs: impl Iterator<Item = &'a Vec<(Sums, Sums)>> + Clone, half: Half) -> Duel {
    Duel::of(pairs.flat_map(move |p| {
        p.iter()
            .enumerate()
            .filter_map(move |(rank, pair)| half.holds(rank).then_some(pair))
    }))
}

/// Compares two replays of the same workloads (see the module documentation).
pub fn compare(
    challenger: &PolicyRun,
    baseline: &PolicyRun,
    resamples: usize,
    seed: u64,
) -> Robustness {
    let by_source = pairs_by_source(challenger, baseline);
    let mut rng = fastrand::Rng::with_seed(seed);
    // draws[source][resample] = the drawn pairs of that source in that resample.
    let draws: BTreeMap<&str, Vec<Vec<(Sums, Sums)>>> = by_source
        .iter()
        .map(|(source, pairs)| {
            let resampled = (0..resamples)
                .map(|_| {
                    (0..pairs.len())
                        .map(|_| pairs[rng.usize(..pairs.len())])
                        .collect()
                })
                .collect();
            (source.as_str(), resampled)
        })
        .collect();
    let sources = by_source
        .iter()
        .map(|(source, pairs)| {
            let duels: Vec<Duel> = draws[source.as_str()]
                .iter()
                .map(|d| Duel::of(d.iter()))
                .collect();
            let one = std::iter::once(pairs);
            let scope = Scope {
                whole: Duel::of(pairs.iter()),
                odd: half_duel(one.clone(), Half::Odd),
                even: half_duel(one, Half::Even),
                bootstrap: Fractions::of(&duels),
            };
            (source.clone(), scope)
        })
        .collect();
    let overall: Vec<Duel> = (0..resamples)
        .map(|i| Duel::of(draws.values().flat_map(|d| d[i].iter())))
        .collect();
    Robustness {
        challenger: challenger.name.clone(),
        baseline: baseline.name.clone(),
        resamples,
        seed,
        sources,
        overall: Scope {
            whole: Duel::of(by_source.values().flatten()),
            odd: half_duel(by_source.values(), Half::Odd),
            even: half_duel(by_source.values(), Half::Even),
            bootstrap: Fractions::of(&overall),
        },
    }
}

impl Robustness {
    /// The table for people.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "== robustness of {} against {}: {} bootstrap resamples of the workloads of each source (seed {}); slack and OOM kills as {} / {}",
            self.challenger,
            self.baseline,
            self.resamples,
            self.seed,
            self.challenger,
            self.baseline
        );
        let _ = writeln!(
            out,
            "{:<11} {:>4} {:>17} {:>9} {:>6} {:>6} {:>6} {:>6} {:>6} {:>17} {:>17}",
            "source",
            "wl",
            "slack",
            "OOMs",
            "slack<",
            "OOMs<",
            "OOMs<=",
            "win",
            "bar",
            "odd half",
            "even half"
        );
        let overall = std::iter::once(("overall", &self.overall));
        let rows = self
            .sources
            .iter()
            .map(|(n, s)| (n.as_str(), s))
            .chain(overall);
        for (name, s) in rows {
            let w = &s.whole;
            let half = |d: &Duel| {
                if d.workloads == 0 {
                    return "n/a".to_owned();
                }
                format!(
                    "{} {:+.4}/{:+}",
                    d.verdict(),
                    d.challenger_slack - d.baseline_slack,
                    d.challenger_ooms as i64 - d.baseline_ooms as i64
                )
            };
            let b = &s.bootstrap;
            let _ = writeln!(
                out,
                "{:<11} {:>4} {:>8.4}/{:<8.4} {:>4}/{:<4} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>17} {:>17}",
                name,
                w.workloads,
                w.challenger_slack,
                w.baseline_slack,
                w.challenger_ooms,
                w.baseline_ooms,
                b.less_slack,
                b.fewer_ooms,
                b.no_more_ooms,
                b.win,
                b.bar,
                half(&s.odd),
                half(&s.even)
            );
        }
        out.push_str(
            "(slack< .. bar: share of resamples; win = less slack and fewer OOM kills, bar = less slack and no more; halves: verdict, slack and OOM-kill differences)\n",
        );
        out
    }
}

#[cfg(test)]
mod tests;
