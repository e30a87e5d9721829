//! The certificates in real use: a webhook on loopback serves the Secret's pair over TLS, the
//! simulated API server calls it through `clientConfig.service` and verifies it against
//! `<service>.<namespace>.svc` and the published caBundle (`failurePolicy: Fail`, so any failed
//! verification fails the pod). Through a whole CA rotation, both the pair the webhook still
//! serves and the new one verify at every step; after the old CA is dropped, its pair no longer
//! does (so the check is real).

mod common;

use std::time::{Duration, SystemTime};

use axum_server::tls_rustls::RustlsConfig;
use common::{certs_client, configuration, namespace, sim_with_webhook, spec};
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, PostParams};
use rightsize_certs::{CertSpec, days, reconcile};
use serde_json::json;

type Pair = (Vec<u8>, Vec<u8>);

async fn current_pair(secrets: &Api<Secret>) -> Pair {
    let s = secrets.get("rightsize-webhook-tls").await.unwrap();
    let d = s.data.unwrap();
    (d["tls.crt"].0.clone(), d["tls.key"].0.clone())
}

async fn serve(tls: &RustlsConfig, pair: &Pair) {
    tls.reload_from_pem(pair.0.clone(), pair.1.clone())
        .await
        .unwrap();
}

/// Create a pod; Ok when the webhook was called and verified.
async fn admit(pods: &Api<Pod>, n: &mut u32) -> Result<(), String> {
    *n += 1;
    let pod: Pod = serde_json::from_value(json!({"metadata": {"name": format!("p{n}")},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}))
    .unwrap();
    match pods.create(&PostParams::default(), &pod).await {
        Ok(p)
            if p.metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.get("admitted").is_some()) =>
        {
            Ok(())
        }
        Ok(p) => Err(format!(
            "admitted without the webhook: {:?}",
            p.metadata.labels
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// A spec whose CA is always inside the renewal window and whose steps need no settling, so
/// that consecutive runs walk the rotation at the real time the TLS stack checks.
fn rotating_spec() -> CertSpec {
    let mut s = spec();
    s.ca_validity = days(20);
    s.serving_validity = days(10);
    s.renew_before = days(25);
    s.settle = Duration::ZERO;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_verifies_through_a_whole_ca_rotation() {
    let (sim, client, tls) = sim_with_webhook().await;
    let certs = certs_client(&sim).await;
    namespace(&client, "shop", json!({"rightsize.dev/enabled": "true"})).await;
    Api::<MutatingWebhookConfiguration>::all(client.clone())
        .create(&PostParams::default(), &configuration(1))
        .await
        .unwrap();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "rightsize-system");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let spec = rotating_spec();
    let mut n = 0;
    let run = |expected: &'static str| {
        let (client, spec) = (certs.clone(), spec.clone());
        async move {
            let out = reconcile(&client, &spec, SystemTime::now()).await.unwrap();
            assert_eq!(
                format!("{:?}", out.plan).split([' ', '{']).next(),
                Some(expected),
                "{out:?}"
            );
        }
    };

    // Before any certificate: the call fails verification, so the pod is refused.
    assert!(admit(&pods, &mut n).await.is_err());
    run("Create").await;
    let p1 = current_pair(&secrets).await;
    serve(&tls, &p1).await;
    admit(&pods, &mut n).await.unwrap();

    run("AddCa").await;
    admit(&pods, &mut n)
        .await
        .expect("old pair verifies against [CA1, CA2]");

    run("SwitchServing").await;
    admit(&pods, &mut n)
        .await
        .expect("webhook not reloaded yet: CA1 still trusted");
    let p2 = current_pair(&secrets).await;
    assert_ne!(p1, p2);
    serve(&tls, &p2).await;
    admit(&pods, &mut n).await.expect("new pair verifies");

    run("DropOldCas").await;
    admit(&pods, &mut n)
        .await
        .expect("new pair verifies against [CA2]");
    serve(&tls, &p1).await;
    let err = admit(&pods, &mut n)
        .await
        .expect_err("CA1 is no longer trusted");
    assert!(err.contains("invalid peer certificate"), "{err}");
}
