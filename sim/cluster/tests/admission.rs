//! A real HTTPS mutating webhook (axum-server + rustls/ring, certificates from rcgen) registered
//! through a MutatingWebhookConfiguration: it mutates pods made by a Deployment's ReplicaSet,
//! sees them as the API server shows them (no name, generateName, request namespace), is skipped
//! outside its namespaceSelector, and its timeout is handled by failurePolicy Ignore vs Fail.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{start, status_of};
use axum::{Json, Router, extract::State, routing::post};
use base64::Engine;
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use rightsize_sim_cluster::testing::{WAIT, eventually};
use serde_json::{Value, json};

#[derive(Default)]
struct Seen(Mutex<Vec<Value>>);

async fn mutate(State(seen): State<Arc<Seen>>, Json(review): Json<Value>) -> Json<Value> {
    let req = &review["request"];
    seen.0.lock().unwrap().push(req.clone());
    let has_labels = req["object"]["metadata"]["labels"].is_object();
    let patch = if has_labels {
        json!([{"op": "add", "path": "/metadata/labels/mutated", "value": "true"}])
    } else {
        json!([{"op": "add", "path": "/metadata/labels", "value": {"mutated": "true"}}])
    };
    let patch =
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&patch).unwrap());
    Json(
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "response": {"uid": req["uid"], "allowed": true, "patchType": "JSONPatch", "patch": patch}}),
    )
}

/// How long `/slow` takes to answer: far beyond both the webhooks' 1 s timeout and the tests'
/// [`WAIT`], so a request that returns within `WAIT` cannot have waited for the answer.
const SLOW_ANSWER: Duration = Duration::from_secs(120);

async fn slow(Json(review): Json<Value>) -> Json<Value> {
    tokio::time::sleep(SLOW_ANSWER).await;
    Json(
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {"uid": review["request"]["uid"], "allowed": true}}),
    )
}

async fn bad_patch(Json(review): Json<Value>) -> Json<Value> {
    let patch = base64::engine::general_purpose::STANDARD
        .encode(br#"[{"op":"replace","path":"/spec/nothing/here","value":1}]"#);
    Json(
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "response": {"uid": review["request"]["uid"], "allowed": true, "patchType": "JSONPatch", "patch": patch}}),
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
    Json(
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "response": {"uid": review["request"]["uid"], "allowed": true, "patchType": "JSONPatch", "patch": 12}}),
    )
}

async fn deny(Json(review): Json<Value>) -> Json<Value> {
    Json(
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "response": {"uid": review["request"]["uid"], "allowed": false, "status": {"code": 403, "message": "no pods today"}}}),
    )
}

/// Start the webhook on 127.0.0.1 with a CA-signed certificate; returns (address, CA PEM).
async fn start_webhook(seen: Arc<Seen>) -> (SocketAddr, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sim-test-ca");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        leaf.pem().into_bytes(),
        key.serialize_pem().into_bytes(),
    )
    .await
    .unwrap();
    let app = Router::new()
        .route("/mutate", post(mutate))
        .route("/slow", post(slow))
        .route("/bad-patch", post(bad_patch))
        .route("/deny", post(deny))
        .route("/byte-array", post(byte_array))
        .route("/patch-number", post(patch_number))
        .with_state(seen);
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        axum_server::bind_rustls(SocketAddr::from(([127, 0, 0, 1], 0)), tls)
            .handle(h)
            .serve(app.into_make_service())
            .await
            .unwrap();
    });
    let addr = handle.listening().await.expect("webhook listening");
    (addr, ca_cert.pem())
}

fn mwc(
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
async fn set_failure_policy(mwcs: &Api<MutatingWebhookConfiguration>, name: &str, policy: &str) {
    let op = json!([{"op": "replace", "path": "/webhooks/0/failurePolicy", "value": policy}]);
    mwcs.patch(
        name,
        &PatchParams::default(),
        &Patch::Json::<()>(serde_json::from_value(op).unwrap()),
    )
    .await
    .unwrap();
}

fn plain_pod(name: &str) -> Pod {
    serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}),
    )
    .unwrap()
}

#[tokio::test]
async fn webhook_mutates_deployment_pods_in_selected_namespaces() {
    let sim = start().await;
    let client = sim.client().unwrap();
    let seen = Arc::new(Seen::default());
    let (addr, ca) = start_webhook(seen.clone()).await;
    let mwcs: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    let sel = json!({"matchLabels": {"rightsize.dev/enabled": "true"}});
    mwcs.create(
        &PostParams::default(),
        &mwc(
            "rightsize",
            &format!("https://{addr}/mutate"),
            &ca,
            "Fail",
            5,
            sel,
        ),
    )
    .await
    .unwrap();
    let nss: Api<Namespace> = Api::all(client.clone());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(
            json!({"metadata": {"name": "shop", "labels": {"rightsize.dev/enabled": "true"}}}),
        )
        .unwrap(),
    )
    .await
    .unwrap();

    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let d: Deployment = serde_json::from_value(json!({"metadata": {"name": "cart"}, "spec": {"replicas": 2,
        "selector": {"matchLabels": {"app": "cart"}},
        "template": {"metadata": {"labels": {"app": "cart"}}, "spec": {"containers": [{"name": "c", "image": "cart:1"}]}}}}))
    .unwrap();
    deploys.create(&PostParams::default(), &d).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let mutated = eventually("2 mutated pods", || async {
        let l = pods
            .list(&ListParams::default().labels("app=cart,mutated=true"))
            .await
            .ok()?;
        (l.items.len() == 2).then_some(l.items)
    })
    .await;
    assert!(
        mutated
            .iter()
            .all(|p| p.metadata.owner_references.as_ref().unwrap()[0].kind == "ReplicaSet")
    );
    {
        let reqs = seen.0.lock().unwrap();
        let r = reqs.first().expect("the webhook was called");
        assert_eq!(r["operation"], "CREATE");
        assert_eq!(r["namespace"], "shop");
        assert_eq!(r["name"], "");
        assert!(
            r["object"]["metadata"]["generateName"]
                .as_str()
                .unwrap()
                .starts_with("cart-")
        );
        assert!(
            r["object"]["metadata"]
                .get("namespace")
                .is_none_or(Value::is_null)
        );
    }
    // Outside the namespaceSelector nothing is sent.
    let calls = seen.0.lock().unwrap().len();
    let default_pods: Api<Pod> = Api::namespaced(client, "default");
    let p = default_pods
        .create(&PostParams::default(), &plain_pod("untouched"))
        .await
        .unwrap();
    assert!(
        !p.metadata
            .labels
            .unwrap_or_default()
            .contains_key("mutated")
    );
    assert_eq!(seen.0.lock().unwrap().len(), calls);
}

#[tokio::test]
async fn webhook_timeouts_follow_failure_policy_and_bad_answers_reject() {
    let sim = start().await;
    let client = sim.client().unwrap();
    let (addr, ca) = start_webhook(Arc::new(Seen::default())).await;
    let mwcs: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pp = PostParams::default();
    mwcs.create(
        &pp,
        &mwc(
            "slow",
            &format!("https://{addr}/slow"),
            &ca,
            "Ignore",
            1,
            json!({}),
        ),
    )
    .await
    .unwrap();

    let t = std::time::Instant::now();
    pods.create(&pp, &plain_pod("ignored")).await.unwrap();
    // Returned long before `/slow` answers: the 1 s timeout cut the call (a margin of minutes,
    // not milliseconds, so a loaded machine does not fail it).
    assert!(
        t.elapsed() < WAIT,
        "the 1s timeout was not honoured: {:?}",
        t.elapsed()
    );

    set_failure_policy(&mwcs, "slow", "Fail").await;
    let s = status_of(pods.create(&pp, &plain_pod("failed")).await);
    assert_eq!((s.code, s.reason.as_str()), (500, "InternalError"));
    assert!(
        s.message
            .contains(r#"failed calling webhook "slow.rightsize.dev""#)
            && s.message.contains("context deadline exceeded"),
        "{}",
        s.message
    );

    mwcs.delete("slow", &Default::default()).await.unwrap();
    mwcs.create(
        &pp,
        &mwc(
            "broken",
            &format!("https://{addr}/bad-patch"),
            &ca,
            "Ignore",
            5,
            json!({}),
        ),
    )
    .await
    .unwrap();
    let s = status_of(pods.create(&pp, &plain_pod("bad")).await);
    assert_eq!(
        s.code, 500,
        "a patch that does not apply rejects even with failurePolicy Ignore: {}",
        s.message
    );

    mwcs.delete("broken", &Default::default()).await.unwrap();
    mwcs.create(
        &pp,
        &mwc(
            "deny",
            &format!("https://{addr}/deny"),
            &ca,
            "Fail",
            5,
            json!({}),
        ),
    )
    .await
    .unwrap();
    let s = status_of(pods.create(&pp, &plain_pod("denied")).await);
    assert_eq!(s.code, 403);
    assert_eq!(
        s.message,
        r#"admission webhook "deny.rightsize.dev" denied the request: no pods today"#
    );

    // A wrong caBundle is a call failure (TLS), so failurePolicy applies.
    mwcs.delete("deny", &Default::default()).await.unwrap();
    mwcs.create(
        &pp,
        &mwc(
            "wrong-ca",
            &format!("https://{addr}/mutate"),
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            "Ignore",
            5,
            json!({}),
        ),
    )
    .await
    .unwrap();
    pods.create(&pp, &plain_pod("tls-ignored")).await.unwrap();
}

/// Go's encoding/json (which the API server decodes AdmissionReviews with) decodes a JSON array
/// of numbers into the `[]byte` `patch` field just as it decodes a base64 string, so a kube-rs
/// webhook's array patch is applied; a `patch` of any other shape fails the decode of the whole
/// response, which is a webhook call failure under the webhook's failurePolicy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_patch_as_byte_array_applies_and_other_shapes_fail_the_call() {
    let sim = start().await;
    let client = sim.client().unwrap();
    let (addr, ca) = start_webhook(Arc::new(Seen::default())).await;
    let mwcs: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pp = PostParams::default();
    let url = |path: &str| format!("https://{addr}/{path}");
    mwcs.create(
        &pp,
        &mwc("bytes", &url("byte-array"), &ca, "Fail", 5, json!({})),
    )
    .await
    .unwrap();
    let pod = pods.create(&pp, &plain_pod("bytes")).await.unwrap();
    assert_eq!(
        pod.metadata
            .labels
            .unwrap_or_default()
            .get("patched-by")
            .map(String::as_str),
        Some("byte-array")
    );
    mwcs.delete("bytes", &Default::default()).await.unwrap();

    mwcs.create(
        &pp,
        &mwc("number", &url("patch-number"), &ca, "Fail", 5, json!({})),
    )
    .await
    .unwrap();
    let s = status_of(pods.create(&pp, &plain_pod("number")).await);
    assert_eq!(s.code, 500, "{}", s.message);
    assert!(
        s.message
            .contains(r#"failed calling webhook "number.rightsize.dev""#)
            && s.message.contains("cannot unmarshal number"),
        "{}",
        s.message
    );
    set_failure_policy(&mwcs, "number", "Ignore").await;
    let pod = pods
        .create(&pp, &plain_pod("number-ignored"))
        .await
        .unwrap();
    assert!(
        !pod.metadata
            .labels
            .unwrap_or_default()
            .contains_key("patched-by")
    );
}
