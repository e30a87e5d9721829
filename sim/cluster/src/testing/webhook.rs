//! A stand-in admission webhook, for tests that need *a* webhook rather than rightsize's (the
//! simulated API server's admission path, certs' caBundle and certificate rotation): answers in
//! the AdmissionReview v1 shape and an HTTPS server for them on 127.0.0.1.

use std::net::SocketAddr;

use axum::{Json, Router};
use axum_server::tls_rustls::RustlsConfig;
use base64::Engine;
use serde_json::{Value, json};

/// An AdmissionReview answering `review` with `response`, to which it adds the request's uid
/// (the API server refuses an answer for another uid).
pub fn answer(review: &Value, mut response: Value) -> Json<Value> {
    response["uid"] = review["request"]["uid"].clone();
    Json(
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}),
    )
}

/// An AdmissionReview allowing `review` with the JSON Patch `patch`, base64-encoded as the
/// `patch` field's `[]byte` type is in JSON.
pub fn allow_with_patch(review: &Value, patch: &Value) -> Json<Value> {
    let patch = base64::engine::general_purpose::STANDARD
        .encode(serde_json::to_vec(patch).expect("a JSON value serialises"));
    answer(
        review,
        json!({"allowed": true, "patchType": "JSONPatch", "patch": patch}),
    )
}

/// Serve `app` over HTTPS with `tls` on 127.0.0.1 (an ephemeral port) until the test ends;
/// the address once it listens. `tls` may be reloaded later (certificate rotation).
pub async fn serve_https(app: Router, tls: RustlsConfig) -> SocketAddr {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        axum_server::bind_rustls(SocketAddr::from(([127, 0, 0, 1], 0)), tls)
            .handle(h)
            .serve(app.into_make_service())
            .await
            .expect("the test webhook serves");
    });
    handle.listening().await.expect("the test webhook listens")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_carries_the_requests_uid() {
        let review = json!({"request": {"uid": "u-1"}});
        let Json(a) = answer(&review, json!({"allowed": false}));
        assert_eq!(
            a,
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "response": {"uid": "u-1", "allowed": false}})
        );
    }

    #[test]
    fn a_patch_is_sent_as_base64_of_its_json() {
        let patch = json!([{"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}]);
        let Json(a) = allow_with_patch(&json!({"request": {"uid": "u"}}), &patch);
        let sent = base64::engine::general_purpose::STANDARD
            .decode(a["response"]["patch"].as_str().unwrap())
            .unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&sent).unwrap(), patch);
        assert_eq!(a["response"]["patchType"], "JSONPatch");
    }
}
