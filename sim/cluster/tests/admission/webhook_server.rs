//! The test webhooks: real HTTPS servers (axum-server + rustls/ring, certificates from rcgen)
//! with one route per behaviour under test (mutate, answer too late, bad or odd patches, deny),
//! the CA their certificates come from, and the MutatingWebhookConfiguration that registers them.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{Json, Router, extract::State, routing::post};
use base64::Engine;
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};
use rightsize_sim_cluster::testing::webhook::{allow_with_patch, answer, serve_https};
use serde_json::{Value, json};

/// The admission requests the `/mutate` route received, in order.
#[derive(Default)]
pub struct Seen(pub Mutex<Vec<Value>>);

async fn mutate(State(seen): State<Arc<Seen>>, Json(review): Json<Value>) -> Json<Value> {
    let req = &review["request"];
    seen.0.lock().unwrap().push(req.clone());
    let has_labels = req["object"]["metadata"]["labels"].is_object();
    let patch = if has_labels {
        json!([{"op": "add", "path": "/metadata/labels/mutated", "value": "true"}])
    } else {
        json!([{"op": "add", "path": "/metadata/labels", "value": {"mutated": "true"}}])
    };
    allow_with_patch(&review, &patch)
}

/// How long `/slow` takes to answer: far beyond both the webhooks' 1 s timeout and the tests'
/// [`WAIT`](rightsize_sim_cluster::testing::WAIT), so a request that returns within `WAIT`
/// cannot have waited for the answer.
pub const SLOW_ANSWER: Duration = Duration::from_secs(120);

async fn slow(Json(review): Json<Value>) -> Json<Value> {
    tokio::time::sleep(SLOW_ANSWER).await;
    answer(&review, json!({"allowed": true}))
}

async fn bad_patch(Json(review): Json<Value>) -> Json<Value> {
    let patch = base64::engine::general_purpose::STANDARD
        .encode(br#"[{"op":"replace","path":"/spec/nothing/here","value":1}]"#);
    answer(
        &review,
        json!({"allowed": true, "patchType": "JSONPatch", "patch": patch}),
    )
}

/// Answers as a kube-rs webhook does: kube-core's `AdmissionResponse` serializes `patch`
/// (a `Vec<u8>`) as a JSON array of numbers.
async fn byte_array(Json(review): Json<Value>) -> Json<Value> {
    let review: kube::core::admission::AdmissionReview<kube::core::DynamicObject> =
        serde_json::from_value(review).unwrap();
    let req: kube::core::admission::AdmissionRequest<kube::core::DynamicObject> =
        review.try_into().unwrap();
    let patch: json_patch::Patch = serde_json::from_value(
        json!([{"op": "add", "path": "/metadata/labels", "value": {"patched-by": "byte-array"}}]),
    )
    .unwrap();
    let resp = kube::core::admission::AdmissionResponse::from(&req)
        .with_patch(patch)
        .unwrap();
    let answer = serde_json::to_value(resp.into_review()).unwrap();
    assert!(answer["response"]["patch"].is_array(), "{answer}");
    Json(answer)
}

/// A `patch` that is neither a base64 string nor an array of bytes.
async fn patch_number(Json(review): Json<Value>) -> Json<Value> {
    answer(
        &review,
        json!({"allowed": true, "patchType": "JSONPatch", "patch": 12}),
    )
}

async fn deny(Json(review): Json<Value>) -> Json<Value> {
    answer(
        &review,
        json!({"allowed": false, "status": {"code": 403, "message": "no pods today"}}),
    )
}

/// A CA named `name`: its certificate (PEM, for a `caBundle`) and an issuer for leaves.
pub fn ca(name: &str) -> (String, rcgen::Issuer<'static, rcgen::KeyPair>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), rcgen::Issuer::new(params, key))
}

/// Serve `app` over HTTPS on 127.0.0.1 (an ephemeral port) with a certificate for `name` (a DNS
/// name or an IP address) from `issuer`.
pub async fn serve(
    app: Router,
    issuer: &rcgen::Issuer<'static, rcgen::KeyPair>,
    name: &str,
) -> SocketAddr {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .signed_by(&key, issuer)
        .unwrap();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        leaf.pem().into_bytes(),
        key.serialize_pem().into_bytes(),
    )
    .await
    .unwrap();
    serve_https(app, tls).await
}

/// Start the webhook with every route on 127.0.0.1 with a CA-signed certificate; returns
/// (address, CA PEM).
pub async fn start_webhook(seen: Arc<Seen>) -> (SocketAddr, String) {
    let (ca_pem, issuer) = ca("sim-test-ca");
    let app = Router::new()
        .route("/mutate", post(mutate))
        .route("/slow", post(slow))
        .route("/bad-patch", post(bad_patch))
        .route("/deny", post(deny))
        .route("/byte-array", post(byte_array))
        .route("/patch-number", post(patch_number))
        .with_state(seen);
    (serve(app, &issuer, "127.0.0.1").await, ca_pem)
}

/// A configuration `name` with one webhook for pod CREATE at `url`.
pub fn mwc(
    name: &str,
    url: &str,
    ca: &str,
    failure: &str,
    timeout: i32,
    ns_selector: Value,
) -> MutatingWebhookConfiguration {
    serde_json::from_value(json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [{
            "name": format!("{name}.rightsize.dev"),
            "clientConfig": {"url": url, "caBundle": base64::engine::general_purpose::STANDARD.encode(ca)},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "namespaceSelector": ns_selector,
            "failurePolicy": failure, "timeoutSeconds": timeout, "sideEffects": "None",
            "admissionReviewVersions": ["v1"], "reinvocationPolicy": "IfNeeded",
            "matchConditions": [{"name": "not-system", "expression": "request.namespace != 'kube-system'"}],
        }],
    }))
    .unwrap()
}

/// Switch the first webhook of configuration `name` to `policy`.
pub async fn set_failure_policy(
    mwcs: &Api<MutatingWebhookConfiguration>,
    name: &str,
    policy: &str,
) {
    let op = json!([{"op": "replace", "path": "/webhooks/0/failurePolicy", "value": policy}]);
    mwcs.patch(
        name,
        &PatchParams::default(),
        &Patch::Json::<()>(serde_json::from_value(op).unwrap()),
    )
    .await
    .unwrap();
}

pub fn plain_pod(name: &str) -> Pod {
    serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}),
    )
    .unwrap()
}
