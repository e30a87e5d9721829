//! Shared by the certs tests: a simulated cluster with the `rightsize-system` namespace, the
//! spec under test, and a MutatingWebhookConfiguration shaped like deploy/'s.

#![allow(dead_code)]

use std::net::SocketAddr;

use axum::{Json, Router, routing::post};
use axum_server::tls_rustls::RustlsConfig;
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, PostParams};
use rightsize_certs::CertSpec;
use rightsize_sim_cluster::testing::webhook::{allow_with_patch, serve_https};
use rightsize_sim_cluster::{SimCluster, SimConfig};
use serde_json::{Value, json};

pub fn spec() -> CertSpec {
    CertSpec::new(
        "rightsize-webhook",
        "rightsize-system",
        "rightsize-webhook-tls",
        "rightsize",
    )
}

/// Create namespace `name` with `labels`.
pub async fn namespace(client: &kube::Client, name: &str, labels: serde_json::Value) {
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns = json!({"metadata": {"name": name, "labels": labels}});
    nss.create(&PostParams::default(), &serde_json::from_value(ns).unwrap())
        .await
        .unwrap();
}

pub async fn sim_with(config: SimConfig) -> (SimCluster, kube::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = SimCluster::start(config).await.expect("sim starts");
    let client = sim.client().unwrap();
    namespace(&client, "rightsize-system", json!({})).await;
    sim.install_rbac(&deploy_dir())
        .await
        .expect("deploy/'s ServiceAccounts and RBAC");
    (sim, client)
}

/// A client as deploy/'s `rightsize-certs` ServiceAccount: what `rightsize-certs` may do in a
/// cluster with deploy/'s RBAC, and nothing more (a missing grant fails the test).
pub async fn certs_client(sim: &SimCluster) -> kube::Client {
    sim.service_account_client("rightsize-system", "rightsize-certs")
        .await
        .expect("certs ServiceAccount client")
}

pub async fn sim_with_namespace() -> (SimCluster, kube::Client) {
    sim_with(SimConfig::default()).await
}

/// `rightsize` with `hooks` webhooks, none with a caBundle yet, calling the Service.
pub fn configuration(hooks: usize) -> MutatingWebhookConfiguration {
    let webhooks: Vec<_> = (0..hooks)
        .map(|i| json!({
            "name": format!("pods{i}.rightsize.dev"),
            "clientConfig": {"service": {"namespace": "rightsize-system", "name": "rightsize-webhook", "path": "/mutate"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "namespaceSelector": {"matchLabels": {"rightsize.dev/enabled": "true"}},
            "failurePolicy": "Fail", "timeoutSeconds": 2, "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
        }))
        .collect();
    serde_json::from_value(json!({"metadata": {"name": "rightsize"}, "webhooks": webhooks}))
        .unwrap()
}

/// A cluster with configuration `rightsize` of `hooks` webhooks; a client as `rightsize-certs`
/// ([`certs_client`]); the Secret and configuration APIs as the administrator.
pub async fn with_configuration(
    hooks: usize,
) -> (
    SimCluster,
    kube::Client,
    Api<MutatingWebhookConfiguration>,
    Api<Secret>,
) {
    let (sim, client) = sim_with_namespace().await;
    let mwcs: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    mwcs.create(&PostParams::default(), &configuration(hooks))
        .await
        .unwrap();
    let secrets = Api::namespaced(client.clone(), "rightsize-system");
    let certs = certs_client(&sim).await;
    (sim, certs, mwcs, secrets)
}

/// The caBundle of each webhook (empty when unset).
pub fn ca_bundle_of(mwc: &MutatingWebhookConfiguration) -> Vec<Vec<u8>> {
    mwc.webhooks
        .iter()
        .flatten()
        .map(|w| {
            w.client_config
                .ca_bundle
                .as_ref()
                .map(|b| b.0.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// Admits every pod with the label `admitted=true`.
async fn label(Json(review): Json<Value>) -> Json<Value> {
    let patch = json!([{"op": "add", "path": "/metadata/labels", "value": {"admitted": "true"}}]);
    allow_with_patch(&review, &patch)
}

/// A webhook whose certificate can be swapped, started with a throwaway one.
pub async fn webhook() -> (SocketAddr, RustlsConfig) {
    let ck = rcgen::generate_simple_self_signed(vec!["placeholder".to_string()]).unwrap();
    let tls = RustlsConfig::from_pem(
        ck.cert.pem().into_bytes(),
        ck.signing_key.serialize_pem().into_bytes(),
    )
    .await
    .unwrap();
    let app = Router::new().route("/mutate", post(label));
    (serve_https(app, tls.clone()).await, tls)
}

/// A cluster whose Service `rightsize-system/rightsize-webhook` is [`webhook`]; the handle swaps
/// the certificate it serves.
pub async fn sim_with_webhook() -> (SimCluster, kube::Client, RustlsConfig) {
    let (addr, tls) = webhook().await;
    let config = SimConfig {
        service_endpoints: std::collections::HashMap::from([(
            "rightsize-system/rightsize-webhook".to_string(),
            addr,
        )]),
        ..SimConfig::default()
    };
    let (sim, client) = sim_with(config).await;
    // The Service deploy/ ships: the webhook configuration reaches the webhook through it.
    sim.create_from_files(
        &[&deploy_dir().join("base/webhook.yaml")],
        &["Service"],
        "rightsize-system",
    )
    .await
    .unwrap();
    (sim, client, tls)
}

/// The repository's deploy/ directory.
pub fn deploy_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}
