//! What a review needs besides its body, shared by every request: the profile source, the
//! cached cluster state, the settings and the metrics. [`App::mutate`] takes the snapshot
//! (one pointer clone per cache) and calls the pure [`admission::mutate`].

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse};
use rightsize_history::WorkloadHistory;
use rightsize_policy::workload::WorkloadRef;

use crate::admission::{self, AdmissionContext, ProfileSource};
use crate::metrics::WebhookMetrics;

/// Seconds since the Unix epoch; admission never reads a clock itself.
pub type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    })
}

/// Shared state of the `/mutate` handler.
pub struct App {
    profiles: Arc<dyn ProfileSource>,
    pub metrics: WebhookMetrics,
    #[allow(dead_code)]
    clock: Clock,
}

impl App {
    pub fn new(profiles: Arc<dyn ProfileSource>, metrics: WebhookMetrics) -> Self {
        Self {
            profiles,
            metrics,
            clock: system_clock(),
        }
    }

    /// Replaces the clock (tests and fixtures with a fixed time).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The admission decision for `req`, with lookups counted as history hits and misses.
    pub fn mutate(&self, req: &AdmissionRequest<DynamicObject>) -> AdmissionResponse {
        let profiles = Counted {
            inner: &*self.profiles,
            metrics: &self.metrics,
        };
        let ctx = AdmissionContext {
            profiles: &profiles,
        };
        admission::mutate(req, &ctx)
    }
}

/// A profile source that counts its answers.
struct Counted<'a> {
    inner: &'a dyn ProfileSource,
    metrics: &'a WebhookMetrics,
}

impl ProfileSource for Counted<'_> {
    fn workload(&self, workload: &WorkloadRef) -> Option<Arc<WorkloadHistory>> {
        let found = self.inner.workload(workload);
        self.metrics.history_lookup(found.is_some());
        found
    }
}
