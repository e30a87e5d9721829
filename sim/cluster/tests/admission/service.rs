//! A webhook reached through `clientConfig.service`, as deploy/ registers rightsize's: the
//! Service object must exist and expose the webhook's port (kube-apiserver's
//! `ResolveCluster`); the sim dials the address `SimConfig::service_endpoints` gives as the
//! Service's endpoint and verifies the serving certificate against the name
//! `<service>.<namespace>.svc` and the configuration's `caBundle` (admission docs: "TLS is
//! verified against `<service>.<namespace>.svc`"). A certificate for another name, a caBundle of
//! another CA, a missing Service, a headless one or one without the port make the call fail:
//! refused under `failurePolicy: Fail`, admitted unchanged under `Ignore`.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::common::{start_with, status_of};
use crate::webhook_server::{ca, serve};
use axum::{Json, Router, routing::post};
use base64::Engine;
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use kube::api::{Api, DeleteParams, PostParams};
use rightsize_sim_cluster::SimConfig;
use rightsize_sim_cluster::testing::webhook::allow_with_patch;
use serde_json::{Value, json};

/// Adds the label `via=service` to every pod.
async fn label(Json(review): Json<Value>) -> Json<Value> {
    let patch = json!([{"op": "add", "path": "/metadata/labels", "value": {"via": "service"}}]);
    allow_with_patch(&review, &patch)
}

/// Serve [`label`] over TLS with a certificate for `dns_name` from `issuer`.
async fn serve_label(
    issuer: &rcgen::Issuer<'static, rcgen::KeyPair>,
    dns_name: &str,
) -> SocketAddr {
    serve(
        Router::new().route("/mutate", post(label)),
        issuer,
        dns_name,
    )
    .await
}

fn mwc(service: &str, ca_pem: &str) -> MutatingWebhookConfiguration {
    mwc_with(service, ca_pem, "Fail")
}

fn mwc_with(service: &str, ca_pem: &str, failure_policy: &str) -> MutatingWebhookConfiguration {
    serde_json::from_value(json!({
        "metadata": {"name": "rightsize"},
        "webhooks": [{
            "name": "pods.rightsize.dev",
            "clientConfig": {
                "service": {"namespace": "rightsize-system", "name": service, "path": "/mutate", "port": 443},
                "caBundle": base64::engine::general_purpose::STANDARD.encode(ca_pem),
            },
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
            "failurePolicy": failure_policy, "timeoutSeconds": 5, "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
        }],
    }))
    .unwrap()
}

/// A Service in `rightsize-system` exposing `port` (443: what the webhook configuration names).
fn service(name: &str, port: u16, cluster_ip: Option<&str>) -> Service {
    let mut spec = json!({"selector": {"app": name},
        "ports": [{"name": "https", "port": port, "targetPort": 8443}]});
    if let Some(ip) = cluster_ip {
        spec["clusterIP"] = json!(ip);
    }
    serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec})).unwrap()
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({"metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}))
    .unwrap()
}

#[tokio::test]
async fn service_webhook_is_verified_against_its_service_dns_name_and_ca_bundle() {
    let (ca_pem, issuer) = ca("rightsize-ca");
    let (other_ca_pem, _) = ca("another-ca");
    let good = serve_label(&issuer, "rightsize-webhook.rightsize-system.svc").await;
    let services = HashMap::from([
        ("rightsize-system/rightsize-webhook".to_string(), good),
        // The same server reached as another Service: its certificate does not name it.
        ("rightsize-system/impostor".to_string(), good),
    ]);
    let sim = start_with(SimConfig {
        service_endpoints: services,
        ..SimConfig::default()
    })
    .await;
    let client = sim.client().unwrap();
    let nss: Api<Namespace> = Api::all(client.clone());
    for ns in ["shop", "rightsize-system"] {
        nss.create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap(),
        )
        .await
        .unwrap();
    }
    let svcs: Api<Service> = Api::namespaced(client.clone(), "rightsize-system");
    for name in ["rightsize-webhook", "impostor"] {
        svcs.create(&PostParams::default(), &service(name, 443, None))
            .await
            .unwrap();
    }
    let mwcs: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let pp = PostParams::default();

    mwcs.create(&pp, &mwc("rightsize-webhook", &ca_pem))
        .await
        .unwrap();
    let made = pods.create(&pp, &pod("a")).await.unwrap();
    assert_eq!(made.metadata.labels.unwrap()["via"], "service");

    let replace = |m: MutatingWebhookConfiguration| {
        let mwcs = mwcs.clone();
        async move {
            mwcs.delete("rightsize", &DeleteParams::default())
                .await
                .unwrap();
            mwcs.create(&PostParams::default(), &m).await.unwrap();
        }
    };
    replace(mwc("impostor", &ca_pem)).await;
    let s = status_of(pods.create(&pp, &pod("b")).await);
    assert!(
        s.message
            .contains("https://impostor.rightsize-system.svc:443/mutate")
            && s.message
                .contains("certificate not valid for name \"impostor.rightsize-system.svc\""),
        "{}",
        s.message
    );

    replace(mwc("rightsize-webhook", &other_ca_pem)).await;
    let s = status_of(pods.create(&pp, &pod("c")).await);
    assert!(
        s.message.contains("invalid peer certificate"),
        "{}",
        s.message
    );

    // No Service object: refused under Fail with the resolver's message, admitted under Ignore.
    replace(mwc("missing", &ca_pem)).await;
    let s = status_of(pods.create(&pp, &pod("d")).await);
    assert_eq!(
        s.message,
        "Internal error occurred: failed calling webhook \"pods.rightsize.dev\": failed to call webhook: Post \"https://missing.rightsize-system.svc:443/mutate?timeout=5s\": service \"missing\" not found"
    );
    replace(mwc_with("missing", &ca_pem, "Ignore")).await;
    let admitted = pods.create(&pp, &pod("e")).await.unwrap();
    assert!(admitted.metadata.labels.is_none(), "admitted unchanged");

    // A Service with no endpoint the sim knows: its ClusterIP refuses the connection.
    let lonely = svcs
        .create(&pp, &service("lonely", 443, None))
        .await
        .unwrap();
    let ip = lonely.spec.unwrap().cluster_ip.unwrap();
    replace(mwc("lonely", &ca_pem)).await;
    let s = status_of(pods.create(&pp, &pod("f")).await);
    assert!(
        s.message
            .ends_with(&format!("dial tcp {ip}:443: connect: connection refused")),
        "{}",
        s.message
    );

    // A Service without the webhook's port, and a headless one, cannot be routed to.
    svcs.create(&pp, &service("other-port", 8443, None))
        .await
        .unwrap();
    replace(mwc("other-port", &ca_pem)).await;
    let s = status_of(pods.create(&pp, &pod("g")).await);
    assert!(
        s.message
            .ends_with("no service port 443 found for service \"other-port\""),
        "{}",
        s.message
    );
    svcs.create(&pp, &service("headless", 443, Some("None")))
        .await
        .unwrap();
    replace(mwc("headless", &ca_pem)).await;
    let s = status_of(pods.create(&pp, &pod("h")).await);
    assert!(
        s.message
            .ends_with("cannot route to service with ClusterIP \"None\""),
        "{}",
        s.message
    );
}
