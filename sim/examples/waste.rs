//! Where a policy's unused request goes: per workload, the requested and the unused byte-hours
//! of `rightsize` and `vpa`, and for each policy the unused byte-hours split by the decision
//! that set the allocation in force (admission, growth, OOM bump, decrease) and by the age of
//! the workload (first day, days 1-2, later), with the OOM kills of each. Exploration aid for tuning, not a metric.
//!
//! `cargo run -p rightsize-sim --example waste -- DIR [WORKLOAD-PREFIX]`; `rightsize` reads its
//! `RIGHTSIZE_*` variables from the environment, as the evaluator does.
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use rightsize_policy::config::RightsizeArgs;
use rightsize_policy::seed::{MIB, SeedParams};
use rightsize_policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};
use rightsize_sim::evaluate::engine::{Mode, replay};
use rightsize_sim::evaluate::trace::load_dir;
use rightsize_sim::evaluate::{Registry, ReplayOptions};

/// One GiB held for one hour, in byte-seconds.
const GIB_HOUR: f64 = 1024.0 * MIB * 3600.0;

/// The decision kind behind a reason (the first words the policies write).
fn kind(reason: &str) -> &'static str {
    for (needle, kind) in [
        ("OOM", "oom bump"),
        ("near the limit", "grow near"),
        ("grew", "grow target"),
        ("fell", "decrease"),
        ("sized from history", "admit sized"),
        ("vpa: target", "admit sized"),
        ("vpa:", "update"),
    ] {
        if reason.contains(needle) {
            return kind;
        }
    }
    "other"
}

/// Per pod: the allocation last seen in force, the phase that set it, and a decision pending.
type PodBook = (Allocation, &'static str, Option<(Allocation, &'static str)>);

/// Wraps a policy and books each sample's unused request by phase.
struct Booked<'a> {
    inner: Box<dyn SizingPolicy>,
    pods: HashMap<PodId, PodBook>,
    admitted: HashMap<PodId, &'static str>,
    first_t: Option<f64>,
    book: &'a mut BTreeMap<(&'static str, &'static str), (f64, f64, u64)>,
}

impl SizingPolicy for Booked<'_> {
    fn admit(&mut self, pod: PodId, declared: Allocation, t: f64) -> Admission {
        let a = self.inner.admit(pod, declared, t);
        let phase = match &a {
            Admission::Declared => "admit declared",
            Admission::Sized(d) => kind(&d.reason),
        };
        self.admitted.insert(pod, phase);
        a
    }

    fn observe(&mut self, obs: &Observation) -> Option<Decision> {
        let first = *self.first_t.get_or_insert(obs.t);
        let admitted = self
            .admitted
            .get(&obs.pod)
            .copied()
            .unwrap_or("admit declared");
        let entry = self
            .pods
            .entry(obs.pod)
            .or_insert((obs.current, admitted, None));
        if entry.0 != obs.current {
            entry.1 = match entry.2.take() {
                Some((a, k)) if a == obs.current => k,
                _ => "other",
            };
            entry.0 = obs.current;
        }
        let age = match (obs.t - first) / 86400.0 {
            d if d < 1.0 => "day 0",
            d if d < 3.0 => "days 1-2",
            _ => "day 3+",
        };
        let waste = obs.duration * (obs.current.request - obs.usage).max(0.0) / GIB_HOUR;
        let req = obs.duration * obs.current.request / GIB_HOUR;
        for key in [(entry.1, ""), ("", age)] {
            let b = self.book.entry(key).or_default();
            b.0 += waste;
            b.1 += req;
            b.2 += u64::from(obs.oom);
        }
        let d = self.inner.observe(obs);
        if let Some(d) = &d {
            entry.2 = Some((d.allocation, kind(&d.reason)));
        }
        d
    }

    fn pod_gone(&mut self, pod: PodId) {
        self.pods.remove(&pod);
        self.inner.pod_gone(pod);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "../shared/traces".to_owned()));
    let prefix = args.next().unwrap_or_default();
    let workloads = load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    /// The `RIGHTSIZE_*` variables, read from the environment only.
    #[derive(clap::Parser)]
    struct Env {
        #[command(flatten)]
        rightsize: RightsizeArgs,
    }
    let params = <Env as clap::Parser>::parse_from(["waste"])
        .rightsize
        .params()
        .unwrap_or_else(|e| panic!("{e}"));
    let registry = Registry::with_params(SeedParams::default(), params);
    let options = ReplayOptions::default();
    let mut books = BTreeMap::new();
    println!(
        "{:<32} {:>22} {:>22}",
        "workload (GiB-h)", "rightsize unused/req", "vpa unused/req"
    );
    for w in workloads.iter().filter(|w| w.name.starts_with(&prefix)) {
        let mut row = format!("{:<32}", w.name);
        for name in ["rightsize", "vpa"] {
            let book = books.entry(name).or_insert_with(BTreeMap::new);
            let mut booked = Booked {
                inner: registry.get(name).expect("built-in").create(),
                pods: HashMap::new(),
                admitted: HashMap::new(),
                first_t: None,
                book,
            };
            let s = replay(w, &mut booked, Mode::Policy, &options);
            row += &format!(
                " {:>10.1}/{:<11.1}",
                s.req_slack / GIB_HOUR,
                s.req / GIB_HOUR
            );
        }
        println!("{row}");
    }
    for (name, book) in books {
        println!("\n{name}: unused / requested GiB-h and OOM kills by phase");
        for ((phase, age), (waste, req, ooms)) in book {
            println!("  {phase:<16} {age:<9} {waste:>10.1} / {req:>10.1} {ooms:>5} kills");
        }
    }
}
