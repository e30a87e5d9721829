//! The shapes of a webhook's `patch` the API server accepts (a base64 string, an array of bytes
//! as kube-rs sends it) and the ones that fail the call.

use std::sync::Arc;

use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use serde_json::json;

use crate::common::{start, status_of};
use crate::webhook_server::{Seen, mwc, plain_pod, set_failure_policy, start_webhook};

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
