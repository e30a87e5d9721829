//! The HTTP edge of `POST /mutate`, driven in-process through the real Router on recorded
//! fixtures (`tests/data/edge/`): a usable review is answered, an unusable one with a known uid is
//! allowed with a warning, one without a uid gets a 400 with a message, and a panic below the
//! handler never escapes.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use rightsize_webhook::admission::AdmissionConfig;
use rightsize_webhook::app::{App, ClusterState};
use rightsize_webhook::metrics::Outcome;
use rightsize_webhook::metrics::WebhookMetrics;
use rightsize_webhook::review::MAX_BODY_BYTES;
use serde_json::Value;
use support::{
    MapProfiles, PanickingProfiles, app, assert_allowed_with_warning, fixture, post, send,
};

#[tokio::test]
async fn a_pod_review_is_answered_for_its_uid_and_allowed() {
    let app = app(MapProfiles::default());
    let reply = post(&app, fixture("deployment_pod.json")).await;
    assert_eq!(reply.content_type, "application/json");
    let review = reply.review();
    assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(review["kind"], "AdmissionReview");
    assert_eq!(
        review["response"]["uid"],
        "6f1c2d3e-0001-4a5b-8c9d-000000000001"
    );
    assert_eq!(review["response"]["allowed"], true);
    assert_eq!(app.metrics.reviews(Outcome::Unchanged), 1);
}

#[tokio::test]
async fn invalid_json_after_the_uid_is_allowed_with_a_warning() {
    let app = app(MapProfiles::default());
    let review = post(&app, fixture("truncated_after_uid.json"))
        .await
        .review();
    assert_allowed_with_warning(
        &review,
        "6f1c2d3e-0004-4a5b-8c9d-000000000004",
        "not an AdmissionReview",
    );
    assert_eq!(app.metrics.reviews(Outcome::Malformed), 1);
}

#[tokio::test]
async fn invalid_json_before_any_uid_is_a_400_with_a_message() {
    let app = app(MapProfiles::default());
    for body in [
        fixture("truncated_before_uid.json"),
        b"".to_vec(),
        b"not json".to_vec(),
        b"\xff\xfe\x00".to_vec(),
        b"[1,2,3]".to_vec(),
    ] {
        let reply = post(&app, body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(reply.content_type.starts_with("text/plain"));
        assert!(reply.text().contains("no request.uid"), "{}", reply.text());
    }
    assert_eq!(app.metrics.reviews(Outcome::BadRequest), 5);
}

#[tokio::test]
async fn an_object_that_is_no_object_is_allowed_with_a_warning() {
    let app = app(MapProfiles::default());
    let review = post(&app, fixture("object_not_an_object.json"))
        .await
        .review();
    assert_allowed_with_warning(
        &review,
        "6f1c2d3e-0005-4a5b-8c9d-000000000005",
        "not an AdmissionReview",
    );
}

#[tokio::test]
async fn wrong_api_version_is_allowed_with_a_warning_naming_it() {
    let app = app(MapProfiles::default());
    let review = post(&app, fixture("v1beta1_pod.json")).await.review();
    assert_allowed_with_warning(
        &review,
        "6f1c2d3e-0003-4a5b-8c9d-000000000003",
        "admission.k8s.io/v1beta1",
    );
}

#[tokio::test]
async fn wrong_review_kind_is_allowed_with_a_warning() {
    let app = app(MapProfiles::default());
    let mut body: Value = serde_json::from_slice(&fixture("deployment_pod.json")).unwrap();
    body["kind"] = "AdmissionRequest".into();
    let review = post(&app, serde_json::to_vec(&body).unwrap())
        .await
        .review();
    assert_allowed_with_warning(
        &review,
        "6f1c2d3e-0001-4a5b-8c9d-000000000001",
        "AdmissionRequest",
    );
}

#[tokio::test]
async fn a_review_without_uid_is_a_400() {
    let app = app(MapProfiles::default());
    let reply = post(&app, fixture("no_uid.json")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.text().contains("uid"), "{}", reply.text());
    // An empty uid is no uid either.
    let mut body: Value = serde_json::from_slice(&fixture("deployment_pod.json")).unwrap();
    body["request"]["uid"] = "".into();
    let reply = post(&app, serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // And a review with no request at all.
    let reply = post(
        &app,
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_vec(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.text().contains("no request"), "{}", reply.text());
}

#[tokio::test]
async fn a_deployment_review_is_not_a_pod_and_is_allowed_with_a_warning() {
    let app = app(MapProfiles::default());
    let review = post(&app, fixture("deployment_create.json")).await.review();
    assert_allowed_with_warning(&review, "6f1c2d3e-0002-4a5b-8c9d-000000000002", "not a Pod");
}

/// A pod review padded past 3 MiB (a huge annotation), its uid first as the API server writes
/// it, or moved behind the padding.
fn oversized(uid_first: bool) -> Vec<u8> {
    let text = String::from_utf8(fixture("deployment_pod.json")).unwrap();
    let padding = format!(
        r#""annotations":{{"padding":"{}"}},"labels":{{"#,
        "x".repeat(MAX_BODY_BYTES)
    );
    let text = text.replacen(r#""labels":{"#, &padding, 1);
    let text = if uid_first {
        text
    } else {
        text.replacen(r#""uid":"6f1c2d3e-0001-4a5b-8c9d-000000000001","#, "", 1)
            .replacen(r#""dryRun":false"#, r#""dryRun":false,"uid":"late""#, 1)
    };
    text.into_bytes()
}

#[tokio::test]
async fn a_body_over_3_mib_is_allowed_with_a_warning_when_its_uid_comes_first() {
    let app = app(MapProfiles::default());
    let body = oversized(true);
    assert!(body.len() > MAX_BODY_BYTES);
    let review = post(&app, body).await.review();
    assert_allowed_with_warning(
        &review,
        "6f1c2d3e-0001-4a5b-8c9d-000000000001",
        "over 3145728 bytes",
    );
}

#[tokio::test]
async fn a_body_over_3_mib_without_a_uid_in_reach_is_a_400() {
    let app = app(MapProfiles::default());
    let reply = post(&app, oversized(false)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.text().contains("over 3145728 bytes"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn only_post_is_routed() {
    let app = app(MapProfiles::default());
    let reply = send(&app, "GET", "/mutate", Vec::new()).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let reply = send(&app, "POST", "/validate", Vec::new()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_panic_under_the_handler_is_allowed_with_a_warning_and_counted() {
    // A bug below the handler: here the clock read for the snapshot panics.
    let app = Arc::new(
        App::new(
            Arc::new(MapProfiles::default()),
            AdmissionConfig::default(),
            ClusterState::empty(),
            WebhookMetrics::default(),
        )
        .with_clock(Arc::new(|| panic!("clock exploded"))),
    );
    let review = post(&app, fixture("deployment_pod.json")).await.review();
    assert_allowed_with_warning(
        &review,
        "6f1c2d3e-0001-4a5b-8c9d-000000000001",
        "internal error (clock exploded)",
    );
    assert_eq!(app.metrics.reviews(Outcome::InternalError), 1);
    // The server keeps answering.
    let app2 = support::app(PanickingProfiles);
    let reply = post(&app2, fixture("deployment_pod.json")).await;
    assert_eq!(reply.review()["response"]["allowed"], true);
}

#[tokio::test]
async fn a_patch_travels_as_a_base64_json_patch() {
    use base64::Engine;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let mut profile = rightsize_policy::profile::UsageProfile::new();
    for h in 0..48 {
        let t = now - f64::from(h) * 3600.0;
        profile.record(t, 300.0 * 1024.0 * 1024.0);
        profile.count_replica(t);
    }
    let mut history = rightsize_history::WorkloadHistory::new();
    history.merge_container("app", &profile);
    let key = rightsize_policy::workload::WorkloadRef::new(
        "shop",
        rightsize_policy::workload::WorkloadKind::Deployment,
        "cart",
    )
    .key();
    let app = app(MapProfiles(
        [(key, Arc::new(history))].into_iter().collect(),
    ));
    let review = post(&app, fixture("deployment_pod.json")).await.review();
    let r = &review["response"];
    assert_eq!(r["allowed"], true);
    assert_eq!(r["patchType"], "JSONPatch");
    let patch = base64::engine::general_purpose::STANDARD
        .decode(r["patch"].as_str().expect("patch is a base64 string"))
        .unwrap();
    let ops: Vec<Value> = serde_json::from_slice(&patch).unwrap();
    assert!(!ops.is_empty());
    assert_eq!(app.metrics.reviews(Outcome::Patched), 1);
    assert_eq!(app.metrics.history_lookups(true), 1);
}
