//! A webhook registered through a MutatingWebhookConfiguration mutates the pods a Deployment's
//! ReplicaSet makes, sees them as the API server shows them (no name, generateName, request
//! namespace), and is skipped outside its namespaceSelector.

use std::sync::Arc;

use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams, PostParams};
use rightsize_sim_cluster::testing::eventually;
use serde_json::{Value, json};

use crate::common::start;
use crate::webhook_server::{Seen, mwc, plain_pod, start_webhook};

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
