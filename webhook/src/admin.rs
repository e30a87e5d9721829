//! The plain-HTTP admin server on `--admin-listen`: `/healthz` (the process answers),
//! `/readyz` (unready until the history view's first list is loaded, as linkerd's admin server
//! starts unready) and `/metrics` (OpenMetrics text).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::metrics::Metrics;

/// `--admin-listen`: probes and metrics.
pub const DEFAULT_ADMIN_LISTEN: &str = "0.0.0.0:8080";

/// Whether the webhook can answer from history yet.
pub type Readiness = Arc<dyn Fn() -> bool + Send + Sync>;

#[derive(Clone)]
struct Admin {
    metrics: Metrics,
    ready: Readiness,
}

/// The admin routes.
pub fn router(metrics: Metrics, ready: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(Admin { metrics, ready })
}

async fn readyz(State(admin): State<Admin>) -> Response {
    if (admin.ready)() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the history view has not loaded its first list yet\n",
        )
            .into_response()
    }
}

async fn metrics_text(State(admin): State<Admin>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        admin.metrics.encode(),
    )
        .into_response()
}
