//! Prometheus metrics of the webhook, exported on the admin server's `/metrics` under the prefix
//! `rightsize_webhook_`, in one registry with the history view's [`HistoryMetrics`]
//! (`rightsize_webhook_history_*`), so a scrape sees the answers and the data behind them.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rightsize_history::HistoryMetrics;

/// Prefix of every series (the history ones get `history_` after it).
pub const METRICS_PREFIX: &str = "rightsize_webhook";

/// How one `POST /mutate` was answered.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed with a JSONPatch.
    Patched,
    /// Allowed without a patch (nothing to change, mode off/recommend, no history).
    Unchanged,
    /// A review we could not use but whose uid we know: allowed, no patch, a warning.
    Malformed,
    /// No usable uid: HTTP 400.
    BadRequest,
    /// A bug (a panic) caught on the request path: allowed, no patch, a warning.
    InternalError,
}

impl Outcome {
    /// The `outcome` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patched => "patched",
            Self::Unchanged => "unchanged",
            Self::Malformed => "malformed",
            Self::BadRequest => "bad_request",
            Self::InternalError => "internal_error",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// Handles to the webhook's own series; cheap to clone.
#[derive(Clone, Debug)]
pub struct WebhookMetrics {
    reviews: Family<OutcomeLabels, Counter>,
    duration: Histogram,
    patch_operations: Counter,
    history_lookups: Family<ResultLabels, Counter>,
    cert_reloads: Family<ResultLabels, Counter>,
}

impl Default for WebhookMetrics {
    fn default() -> Self {
        Self {
            reviews: Family::default(),
            // 25 µs to about 0.8 s: an in-memory answer up to a stalled one (the API server's
            // timeout is a few seconds at most, DESIGN §3).
            duration: Histogram::new(exponential_buckets(0.000_025, 2.0, 16)),
            patch_operations: Counter::default(),
            history_lookups: Family::default(),
            cert_reloads: Family::default(),
        }
    }
}

impl WebhookMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "reviews",
            "AdmissionReviews answered, by outcome",
            self.reviews.clone(),
        );
        registry.register(
            "review_duration_seconds",
            "Time from the whole request body read to the answer, per review",
            self.duration.clone(),
        );
        registry.register(
            "patch_operations",
            "JSONPatch operations sent back to the API server",
            self.patch_operations.clone(),
        );
        registry.register(
            "history_lookups",
            "Workload history lookups by result (hit or miss)",
            self.history_lookups.clone(),
        );
        registry.register(
            "certificate_reloads",
            "Serving certificate reloads by result (ok, or error: the previous pair is kept)",
            self.cert_reloads.clone(),
        );
    }

    /// Counts one answered review and its duration.
    pub fn review(&self, outcome: Outcome, seconds: f64) {
        self.reviews
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc();
        self.duration.observe(seconds);
    }

    pub fn patch_operations(&self, n: usize) {
        self.patch_operations.inc_by(n as u64);
    }

    pub fn history_lookup(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.history_lookups
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    pub fn cert_reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.cert_reloads
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// Reviews answered so far with `outcome` (tests, benchmarks).
    pub fn reviews(&self, outcome: Outcome) -> u64 {
        self.reviews
            .get(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .map_or(0, |c| c.get())
    }

    /// Certificate reloads so far (`ok` true) or failed reload attempts (`ok` false).
    pub fn cert_reloads(&self, ok: bool) -> u64 {
        let result = if ok { "ok" } else { "error" };
        self.cert_reloads
            .get(&ResultLabels { result })
            .map_or(0, |c| c.get())
    }

    /// History lookups so far that found (`hit`) or missed a workload.
    pub fn history_lookups(&self, hit: bool) -> u64 {
        let result = if hit { "hit" } else { "miss" };
        self.history_lookups
            .get(&ResultLabels { result })
            .map_or(0, |c| c.get())
    }
}

/// The process's registry with the webhook and history series in it.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    pub webhook: WebhookMetrics,
    pub history: HistoryMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(METRICS_PREFIX);
        let webhook = WebhookMetrics::default();
        webhook.register(&mut registry);
        let history = HistoryMetrics::register(&mut registry);
        Self {
            registry: Arc::new(registry),
            webhook,
            history,
        }
    }

    /// The OpenMetrics text exposition of every series.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_and_history_series_share_the_prefix() {
        let m = Metrics::new();
        m.webhook.review(Outcome::Patched, 0.001);
        m.webhook.review(Outcome::BadRequest, 0.001);
        m.webhook.patch_operations(3);
        m.webhook.history_lookup(true);
        m.webhook.history_lookup(false);
        m.webhook.cert_reload(true);
        m.webhook.cert_reload(false);
        let text = m.encode();
        for series in [
            "rightsize_webhook_reviews_total{outcome=\"patched\"} 1",
            "rightsize_webhook_reviews_total{outcome=\"bad_request\"} 1",
            "rightsize_webhook_review_duration_seconds_count 2",
            "rightsize_webhook_patch_operations_total 3",
            "rightsize_webhook_history_lookups_total{result=\"hit\"} 1",
            "rightsize_webhook_history_lookups_total{result=\"miss\"} 1",
            "rightsize_webhook_certificate_reloads_total{result=\"ok\"} 1",
            "rightsize_webhook_certificate_reloads_total{result=\"error\"} 1",
            "rightsize_webhook_history_view_entries",
        ] {
            assert!(text.contains(series), "{series} missing from:\n{text}");
        }
    }
}
