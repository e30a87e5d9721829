//! Prometheus metrics of the history store, shared by the writer and the view.
//!
//! One [`HistoryMetrics`] is registered once per process (under the sub-registry prefix
//! `history`) and cloned into the writer and the view, so a controller running both exports each
//! series once. Per-shard gauges are set by whichever of them last saw the shard; both see the
//! same objects, so they agree.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ShardLabels {
    shard: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// Handles to every history metric; cheap to clone (all share the registered series).
#[derive(Clone, Debug)]
pub struct HistoryMetrics {
    entries: Family<ShardLabels, Gauge>,
    shard_bytes: Family<ShardLabels, Gauge>,
    view_entries: Gauge,
    flushes: Family<ResultLabels, Counter>,
    flush_seconds: Histogram,
    write_conflicts: Counter,
    write_failures: Family<ReasonLabels, Counter>,
    decode_failures: Family<ReasonLabels, Counter>,
}

impl Default for HistoryMetrics {
    fn default() -> Self {
        Self {
            entries: Family::default(),
            shard_bytes: Family::default(),
            view_entries: Gauge::default(),
            flushes: Family::default(),
            // 5 ms to about 40 s: one shard write on an idle server up to a slow full flush.
            flush_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            write_conflicts: Counter::default(),
            write_failures: Family::default(),
            decode_failures: Family::default(),
        }
    }
}

impl HistoryMetrics {
    /// Creates the metrics and registers them under `history_` in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("history");
        r.register(
            "entries",
            "Workload entries stored per history shard",
            m.entries.clone(),
        );
        r.register(
            "shard_bytes",
            "Bytes per history shard as the 1 MiB ConfigMap limit counts them",
            m.shard_bytes.clone(),
        );
        r.register(
            "view_entries",
            "Workloads the in-memory history view can answer for",
            m.view_entries.clone(),
        );
        r.register("flushes", "History flushes by result", m.flushes.clone());
        r.register(
            "flush_duration_seconds",
            "Duration of history flushes",
            m.flush_seconds.clone(),
        );
        r.register(
            "write_conflicts",
            "History shard writes rejected with 409 Conflict (re-read, merged and retried)",
            m.write_conflicts.clone(),
        );
        r.register(
            "write_failures",
            "History shard writes that failed for another reason, by reason",
            m.write_failures.clone(),
        );
        r.register(
            "decode_failures",
            "Stored history values skipped because they cannot be decoded (counted at each decode of their shard), by reason",
            m.decode_failures.clone(),
        );
        m
    }

    pub(crate) fn set_shard(&self, shard: &str, entries: usize, bytes: usize) {
        let l = ShardLabels {
            shard: shard.to_owned(),
        };
        self.entries.get_or_create(&l).set(entries as i64);
        self.shard_bytes.get_or_create(&l).set(bytes as i64);
    }

    pub(crate) fn remove_shard(&self, shard: &str) {
        let l = ShardLabels {
            shard: shard.to_owned(),
        };
        self.entries.remove(&l);
        self.shard_bytes.remove(&l);
    }

    pub(crate) fn set_view_entries(&self, n: usize) {
        self.view_entries.set(n as i64);
    }

    pub(crate) fn flushed(&self, ok: bool, seconds: f64) {
        let result = if ok { "ok" } else { "error" };
        self.flushes.get_or_create(&ResultLabels { result }).inc();
        self.flush_seconds.observe(seconds);
    }

    pub(crate) fn conflict(&self) {
        self.write_conflicts.inc();
    }

    pub(crate) fn write_failure(&self, reason: &'static str) {
        self.write_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    pub(crate) fn decode_failure(&self, reason: &'static str) {
        self.decode_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// Write conflicts so far (for tests and benchmarks).
    pub fn write_conflicts(&self) -> u64 {
        self.write_conflicts.get()
    }

    /// Decode failures so far, all reasons.
    pub fn decode_failures(&self) -> u64 {
        total(
            &self.decode_failures,
            ["base64", "version", "profile_version", "profile", "payload"],
        )
    }

    /// Decode failures so far for one reason.
    pub fn decode_failures_for(&self, reason: &'static str) -> u64 {
        self.decode_failures
            .get(&ReasonLabels { reason })
            .map_or(0, |c| c.get())
    }

    /// Flushes so far with the given result (`"ok"` or `"error"`).
    pub fn flushes(&self, result: &'static str) -> u64 {
        self.flushes
            .get(&ResultLabels { result })
            .map_or(0, |c| c.get())
    }

    /// Failed shard writes so far, all reasons.
    pub fn write_failures(&self) -> u64 {
        total(
            &self.write_failures,
            ["api", "conflict", "too_large", "transport"],
        )
    }
}

/// Sum of the counters of `family` for `reasons` (a reason never counted adds nothing).
fn total<const N: usize>(
    family: &Family<ReasonLabels, Counter>,
    reasons: [&'static str; N],
) -> u64 {
    reasons
        .into_iter()
        .filter_map(|reason| family.get(&ReasonLabels { reason }))
        .map(|c| c.get())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_exported_under_the_history_prefix() {
        let mut registry = Registry::with_prefix("rightsize");
        let m = HistoryMetrics::register(&mut registry);
        m.set_shard("rightsize-history-0", 3, 4000);
        m.set_view_entries(3);
        m.flushed(true, 0.1);
        m.conflict();
        m.write_failure("api");
        m.decode_failure("base64");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for series in [
            "rightsize_history_entries{shard=\"rightsize-history-0\"} 3",
            "rightsize_history_shard_bytes{shard=\"rightsize-history-0\"} 4000",
            "rightsize_history_view_entries 3",
            "rightsize_history_flushes_total{result=\"ok\"} 1",
            "rightsize_history_flush_duration_seconds_count 1",
            "rightsize_history_write_conflicts_total 1",
            "rightsize_history_write_failures_total{reason=\"api\"} 1",
            "rightsize_history_decode_failures_total{reason=\"base64\"} 1",
        ] {
            assert!(text.contains(series), "{series} missing from:\n{text}");
        }
        assert_eq!(
            (m.write_conflicts(), m.decode_failures(), m.write_failures()),
            (1, 1, 1)
        );
        m.remove_shard("rightsize-history-0");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(!text.contains("rightsize-history-0"));
    }
}
