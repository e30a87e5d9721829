//! The controller's Prometheus series (prefix `rightsize_controller_`), registered once and
//! shared through the [`crate::context::Context`]. The history store's own series are
//! registered in the same registry (`rightsize_controller_history_*`).

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::error::Error;

/// Prefix of every series.
pub const PREFIX: &str = "rightsize_controller";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResizeLabels {
    outcome: &'static str,
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WhereLabels {
    container_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WhenLabels {
    when: &'static str,
}

/// What a resize attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The API server took the patch.
    Applied,
    /// Recommendation only (RECOMMEND_ONLY, mode `recommend`, RestartContainer policy).
    Recommended,
    /// The kubelet reported `PodResizePending/Deferred`.
    Deferred,
    /// The kubelet reported `PodResizePending/Infeasible`.
    Infeasible,
    /// The kubelet reported `PodResizeInProgress/Error`.
    Error,
    /// Refused by the API server (403, 422) or failed on the way.
    Failed,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Recommended => "recommended",
            Self::Deferred => "deferred",
            Self::Infeasible => "infeasible",
            Self::Error => "error",
            Self::Failed => "failed",
        }
    }
}

/// Handles to every series; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Arc<Registry>,
    cycle_seconds: Histogram,
    cycles: Counter,
    pods_observed: Gauge,
    samples_missing: Counter,
    resizes: Family<ResizeLabels, Counter>,
    oom_kills: Family<WhereLabels, Counter>,
    api_errors: Family<KindLabels, Counter>,
    memory_requested: Family<WhenLabels, Counter>,
    leader: Gauge,
    ksm_oom_kills: Counter,
    ksm_mismatches: Counter,
    pub history: rightsize_history::HistoryMetrics,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        // 10 ms to about 80 s: an idle small cluster up to a slow 10,000-pod cycle.
        let cycle_seconds = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        registry.register_with_unit(
            "cycle_duration",
            "Duration of one metrics cycle (read, decide, resize)",
            Unit::Seconds,
            cycle_seconds.clone(),
        );
        let cycles = Counter::default();
        registry.register("cycles", "Metrics cycles run", cycles.clone());
        let pods_observed = Gauge::default();
        registry.register(
            "pods_observed",
            "Managed pods with a fresh usage sample in the last cycle",
            pods_observed.clone(),
        );
        let samples_missing = Counter::default();
        registry.register(
            "samples_missing",
            "Managed pods skipped in a cycle for want of a fresh usage sample",
            samples_missing.clone(),
        );
        let resizes = Family::<ResizeLabels, Counter>::default();
        registry.register(
            "resizes",
            "Resize decisions by outcome (applied, recommended, deferred, infeasible, error, failed) and direction (up, down)",
            resizes.clone(),
        );
        let oom_kills = Family::<WhereLabels, Counter>::default();
        registry.register(
            "oom_kills",
            "OOM kills seen on managed pods, by container type (container, init)",
            oom_kills.clone(),
        );
        let api_errors = Family::<KindLabels, Counter>::default();
        registry.register(
            "api_errors",
            "Failed API and metrics calls, by action and HTTP status",
            api_errors.clone(),
        );
        let memory_requested = Family::<WhenLabels, Counter>::default();
        registry.register_with_unit(
            "resized_memory_request",
            "Memory requests of resized containers, summed before and after the resize",
            Unit::Bytes,
            memory_requested.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "leader",
            "1 while this replica holds the Lease and acts, else 0",
            leader.clone(),
        );
        let ksm_oom_kills = Counter::default();
        registry.register(
            "kube_state_metrics_oom_kills",
            "OOM kills read from kube-state-metrics that the pod watch had not shown",
            ksm_oom_kills.clone(),
        );
        let ksm_mismatches = Counter::default();
        registry.register(
            "kube_state_metrics_mismatches",
            "Containers whose memory request or limit in kube-state-metrics disagreed with the pod's spec (logged, not acted on)",
            ksm_mismatches.clone(),
        );
        let history = rightsize_history::HistoryMetrics::register(&mut registry);
        Self {
            registry: Arc::new(registry),
            cycle_seconds,
            cycles,
            pods_observed,
            samples_missing,
            resizes,
            oom_kills,
            api_errors,
            memory_requested,
            leader,
            ksm_oom_kills,
            ksm_mismatches,
            history,
        }
    }

    pub fn cycle_done(&self, seconds: f64, observed: usize, missing: usize) {
        self.cycle_seconds.observe(seconds);
        self.cycles.inc();
        self.pods_observed.set(observed as i64);
        self.samples_missing.inc_by(missing as u64);
    }

    pub fn resize(&self, outcome: Outcome, up: bool) {
        let direction = if up { "up" } else { "down" };
        self.resizes
            .get_or_create(&ResizeLabels {
                outcome: outcome.label(),
                direction,
            })
            .inc();
    }

    pub fn resizes(&self, outcome: Outcome, up: bool) -> u64 {
        let direction = if up { "up" } else { "down" };
        self.resizes
            .get_or_create(&ResizeLabels {
                outcome: outcome.label(),
                direction,
            })
            .get()
    }

    pub fn memory_resized(&self, before: f64, after: f64) {
        for (when, v) in [("before", before), ("after", after)] {
            self.memory_requested
                .get_or_create(&WhenLabels { when })
                .inc_by(v.max(0.0) as u64);
        }
    }

    pub fn oom_kill(&self, init: bool) {
        let container_type = if init { "init" } else { "container" };
        self.oom_kills
            .get_or_create(&WhereLabels { container_type })
            .inc();
    }

    pub fn api_error(&self, e: &Error) {
        self.api_errors
            .get_or_create(&KindLabels {
                kind: e.metric_label(),
            })
            .inc();
    }

    pub fn kube_state_metrics_oom_kill(&self) {
        self.ksm_oom_kills.inc();
    }

    pub fn kube_state_metrics_mismatch(&self) {
        self.ksm_mismatches.inc();
    }

    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// The text exposition of every series.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
