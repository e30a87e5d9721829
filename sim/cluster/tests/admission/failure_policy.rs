//! A webhook call that fails (a timeout, a wrong caBundle) follows the webhook's failurePolicy
//! (Ignore admits unchanged, Fail refuses with the API server's message), while an answer that
//! denies or carries a patch that does not apply refuses the request either way.

use std::sync::Arc;

use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use rightsize_sim_cluster::testing::WAIT;
use serde_json::json;

use crate::common::{start, status_of};
use crate::webhook_server::{Seen, mwc, plain_pod, set_failure_policy, start_webhook};

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
