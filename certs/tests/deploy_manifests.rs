//! deploy/ against the simulated cluster: `kubectl kustomize deploy/` builds offline, and
//! deploy/'s MutatingWebhookConfiguration, created with kubectl, is completed by rightsize-certs
//! and called over TLS through its Service: a pod without annotations is sized (the has() guard
//! keeps it from being a CEL error), a pod with `rightsize.dev/mode: off` and pods outside opted-in
//! namespaces are not sent to the webhook.

mod common;

use std::time::SystemTime;

use common::{deploy_dir, namespace, sim_with_webhook, spec};
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret};
use kube::api::{Api, Patch, PatchParams, PostParams};
use rightsize_certs::reconcile;
use rightsize_sim_cluster::testing::kubectl::{self, ok, run_in};
use serde_json::json;

#[test]
fn kustomize_builds_deploy_offline() {
    if !kubectl::required("the deploy/ kustomize build") {
        return;
    }
    let text = kubectl::kustomize(&deploy_dir());
    for kind in [
        "MutatingWebhookConfiguration",
        "CronJob",
        "Job",
        "PodDisruptionBudget",
        "ConfigMap",
    ] {
        assert!(text.contains(&format!("kind: {kind}\n")), "{kind} missing");
    }
}

async fn pod(pods: &Api<Pod>, name: &str, annotations: serde_json::Value) -> bool {
    let p: Pod = serde_json::from_value(
        json!({"metadata": {"name": name, "annotations": annotations},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}),
    )
    .unwrap();
    let made = pods.create(&PostParams::default(), &p).await.unwrap();
    made.metadata
        .labels
        .is_some_and(|l| l.contains_key("admitted"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_webhook_configuration_works_once_certs_has_run() {
    if !kubectl::required("the deploy/ webhook configuration test") {
        return;
    }
    let (sim, client, tls) = sim_with_webhook().await;
    let dir = tempfile::tempdir().unwrap();
    sim.write_kubeconfig(&dir.path().join("kubeconfig"))
        .unwrap();
    let manifest = deploy_dir().join("base/mutatingwebhookconfiguration.yaml");
    ok(
        &run_in(dir.path(), &["create", "-f", &manifest.to_string_lossy()]).await,
        "kubectl create -f deploy/'s MutatingWebhookConfiguration",
    );

    reconcile(&client, &spec(), SystemTime::now())
        .await
        .unwrap();
    let secret = Api::<Secret>::namespaced(client.clone(), "rightsize-system")
        .get("rightsize-webhook-tls")
        .await
        .unwrap();
    let data = secret.data.unwrap();
    tls.reload_from_pem(data["tls.crt"].0.clone(), data["tls.key"].0.clone())
        .await
        .unwrap();

    namespace(&client, "shop", json!({"rightsize.dev/enabled": "true"})).await;
    namespace(&client, "other", json!({})).await;
    let shop: Api<Pod> = Api::namespaced(client.clone(), "shop");
    assert!(
        pod(&shop, "plain", json!(null)).await,
        "called and verified over TLS"
    );
    assert!(pod(&shop, "auto", json!({"rightsize.dev/mode": "auto"})).await);
    assert!(
        !pod(&shop, "off", json!({"rightsize.dev/mode": "off"})).await,
        "mode off skipped"
    );
    let other: Api<Pod> = Api::namespaced(client.clone(), "other");
    assert!(!pod(&other, "not-opted-in", json!(null)).await);
    // kube-system and rightsize-system are excluded even when labelled.
    let nss: Api<Namespace> = Api::all(client.clone());
    for ns in ["kube-system", "rightsize-system"] {
        let label = json!({"metadata": {"labels": {"rightsize.dev/enabled": "true"}}});
        nss.patch(ns, &PatchParams::default(), &Patch::Merge(label))
            .await
            .unwrap();
        let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
        assert!(!pod(&pods, "system", json!(null)).await, "{ns} is excluded");
    }
}
