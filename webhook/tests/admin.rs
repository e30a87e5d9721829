//! The admin server's routes, in-process: `/healthz` answers at once, `/readyz` is unready until
//! the history view has loaded, `/metrics` exports the webhook and history series.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use rightsize_webhook::admin;
use rightsize_webhook::metrics::{Metrics, Outcome};
use tower::ServiceExt;

async fn get(router: &axum::Router, path: &str) -> (StatusCode, String, String) {
    let resp = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn readyz_starts_unready_until_the_history_is_loaded() {
    let loaded = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&loaded);
    let router = admin::router(
        Metrics::new(),
        Arc::new(move || flag.load(Ordering::SeqCst)),
    );
    assert_eq!(get(&router, "/healthz").await.0, StatusCode::OK);
    let (status, _, text) = get(&router, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(text.contains("history"), "{text}");
    loaded.store(true, Ordering::SeqCst);
    assert_eq!(get(&router, "/readyz").await.0, StatusCode::OK);
}

#[tokio::test]
async fn metrics_are_openmetrics_text_with_the_webhook_prefix() {
    let metrics = Metrics::new();
    metrics.webhook.review(Outcome::Malformed, 0.0001);
    let router = admin::router(metrics, Arc::new(|| true));
    let (status, ct, text) = get(&router, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    assert!(text.contains("rightsize_webhook_reviews_total{outcome=\"malformed\"} 1"));
    assert!(text.contains("rightsize_webhook_history_view_entries"));
    assert!(text.ends_with("# EOF\n"));
}
