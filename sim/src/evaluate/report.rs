//! What `rightsize-sim evaluate` prints: one JSON object keyed by policy name (`--json`), or a
//! table per trace source and overall for people. Per-source figures come first so one source
//! cannot hide behind another (DESIGN §5).
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::SerializeMap;

use super::metrics::{Metrics, Sums};
use super::trace::source_of;

/// The replay of one workload under one policy.
#[derive(Clone, Debug)]
pub struct WorkloadRun {
    pub name: String,
    pub sums: Sums,
    pub seconds: f64,
}

/// The replay of a whole trace set under one policy.
#[derive(Clone, Debug)]
pub struct PolicyRun {
    pub name: String,
    pub counts_resizes: bool,
    pub workloads: Vec<WorkloadRun>,
    /// Wall time of the whole replay.
    pub seconds: f64,
}

impl PolicyRun {
    fn metrics<'a>(&self, runs: impl Iterator<Item = &'a WorkloadRun> + Clone) -> Metrics {
        let seconds = runs.clone().map(|w| w.seconds).sum();
        Metrics::from_sums(runs.map(|w| &w.sums), self.counts_resizes, seconds)
    }

    /// The whole set.
    pub fn total(&self) -> Metrics {
        Metrics {
            replay_seconds: self.seconds,
            ..self.metrics(self.workloads.iter())
        }
    }

    /// Per source (workload-name prefix before the first `-`).
    pub fn sources(&self) -> BTreeMap<String, Metrics> {
        let mut names: Vec<&str> = self.workloads.iter().map(|w| source_of(&w.name)).collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|s| {
                let runs = self
                    .workloads
                    .iter()
                    .filter(move |w| source_of(&w.name) == s);
                (s.to_owned(), self.metrics(runs))
            })
            .collect()
    }

    /// Per workload.
    pub fn workloads(&self) -> BTreeMap<String, Metrics> {
        self.workloads
            .iter()
            .map(|w| (w.name.clone(), self.metrics(std::iter::once(w))))
            .collect()
    }

    /// The serialisable report of this run.
    pub fn report(&self, per_workload: bool) -> PolicyReport {
        PolicyReport {
            total: self.total(),
            sources: self.sources(),
            workloads: per_workload.then(|| self.workloads()),
        }
    }
}

/// One policy's figures: the whole set, flattened, plus per source and optionally per workload.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyReport {
    #[serde(flatten)]
    pub total: Metrics,
    pub sources: BTreeMap<String, Metrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workloads: Option<BTreeMap<String, Metrics>>,
}

/// Every policy's report, in the order the policies were asked for.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub policies: Vec<(String, PolicyReport)>,
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.policies.len()))?;
        for (name, report) in &self.policies {
            map.serialize_entry(name, report)?;
        }
        map.end()
    }
}

impl Report {
    pub fn new(runs: &[PolicyRun], per_workload: bool) -> Self {
        Self {
            policies: runs
                .iter()
                .map(|r| (r.name.clone(), r.report(per_workload)))
                .collect(),
        }
    }

    /// Tables for people: one per source, one overall, and one per workload if asked for.
    pub fn table(&self) -> String {
        let mut scopes: Vec<String> = Vec::new();
        for (_, report) in &self.policies {
            for source in report.sources.keys() {
                if !scopes.contains(source) {
                    scopes.push(source.clone());
                }
            }
        }
        let mut out = String::new();
        for source in &scopes {
            let rows = self
                .policies
                .iter()
                .filter_map(|(name, r)| Some((name.as_str(), r.sources.get(source)?)));
            table(&mut out, &format!("source {source}"), rows);
        }
        let overall = self.policies.iter().map(|(n, r)| (n.as_str(), &r.total));
        table(&mut out, "overall", overall);

        let workloads: Vec<&String> = self
            .policies
            .first()
            .and_then(|(_, r)| r.workloads.as_ref())
            .map(|w| w.keys().collect())
            .unwrap_or_default();
        for workload in workloads {
            let rows = self.policies.iter().filter_map(|(name, r)| {
                Some((name.as_str(), r.workloads.as_ref()?.get(workload)?))
            });
            table(&mut out, &format!("workload {workload}"), rows);
        }
        out
    }
}

/// Appends one titled table, one row per policy.
fn table<'a>(out: &mut String, title: &str, rows: impl Iterator<Item = (&'a str, &'a Metrics)>) {
    let rows: Vec<_> = rows.collect();
    let samples = rows.first().map_or(0, |(_, m)| m.samples);
    let hours = rows.first().map_or(0.0, |(_, m)| m.container_hours);
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "== {title}: {samples} samples, {hours:.1} container-hours"
    );
    let _ = writeln!(
        out,
        "{:<12} {:>7} {:>7} {:>7} {:>10} {:>9} {:>11} {:>7} {:>8} {:>8}",
        "policy",
        "slack",
        "lim.sl",
        "under",
        "OOM/1k h",
        "OOM-free",
        "resizes/day",
        "OOMs",
        "resizes",
        "replay s"
    );
    for (name, m) in rows {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "n/a".to_owned());
        let _ = writeln!(
            out,
            "{:<12} {:>7.4} {:>7.4} {:>7.4} {:>10.3} {:>9.4} {:>11} {:>7} {:>8} {:>8.3}",
            name,
            m.slack,
            m.limit_slack,
            m.under,
            m.ooms_per_1k_container_hours,
            m.oom_free_container_days,
            opt(m.resizes_per_container_day.map(|r| format!("{r:.3}"))),
            m.ooms,
            opt(m.resizes.map(|r| r.to_string())),
            m.replay_seconds
        );
    }
    out.push('\n');
}
