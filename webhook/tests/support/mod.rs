//! Helpers of the server-side tests: an in-memory profile source, the real Router driven with
//! `tower::ServiceExt::oneshot` (no socket), and fixture loading.

#![allow(dead_code)]

pub mod pki;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use rightsize_history::WorkloadHistory;
use rightsize_policy::workload::WorkloadRef;
use rightsize_webhook::admission::AdmissionConfig;
use rightsize_webhook::admission::ProfileSource;
use rightsize_webhook::app::{App, ClusterState};
use rightsize_webhook::metrics::WebhookMetrics;
use serde_json::Value;
use tower::ServiceExt;

/// Profiles by workload key.
#[derive(Default)]
pub struct MapProfiles(pub HashMap<String, Arc<WorkloadHistory>>);

impl ProfileSource for MapProfiles {
    fn workload(&self, workload: &WorkloadRef) -> Option<Arc<WorkloadHistory>> {
        self.0.get(&workload.key()).cloned()
    }
}

/// A profile source with a bug: every lookup panics.
pub struct PanickingProfiles;

impl ProfileSource for PanickingProfiles {
    fn workload(&self, _: &WorkloadRef) -> Option<Arc<WorkloadHistory>> {
        panic!("history lookup exploded")
    }
}

pub fn app(profiles: impl ProfileSource + 'static) -> Arc<App> {
    Arc::new(App::new(
        Arc::new(profiles),
        AdmissionConfig::default(),
        ClusterState::empty(),
        WebhookMetrics::default(),
    ))
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/edge/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What `/mutate` answered.
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Reply {
    /// The AdmissionReview of a 200 answer.
    pub fn review(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text());
        serde_json::from_slice(&self.body).expect("a JSON AdmissionReview")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// POSTs `body` to `path` of the real router, in-process.
pub async fn send(app: &Arc<App>, method: &str, path: &str, body: Vec<u8>) -> Reply {
    let router = rightsize_webhook::server::router(Arc::clone(app));
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let resp = router.oneshot(req).await.expect("the router answers");
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        content_type,
        body,
    }
}

pub async fn post(app: &Arc<App>, body: Vec<u8>) -> Reply {
    send(app, "POST", "/mutate", body).await
}

/// Asserts an `allowed: true` review for `uid` with no patch and one warning containing `needle`.
pub fn assert_allowed_with_warning(review: &Value, uid: &str, needle: &str) {
    assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(review["kind"], "AdmissionReview");
    let r = &review["response"];
    assert_eq!(r["uid"], uid);
    assert_eq!(r["allowed"], true);
    assert!(r.get("patch").is_none(), "no patch expected: {r}");
    let warnings = r["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = warnings[0].as_str().unwrap();
    assert!(
        w.contains(needle),
        "warning {w:?} should mention {needle:?}"
    );
    assert!(w.chars().count() <= 210, "warning too long: {w}");
}
