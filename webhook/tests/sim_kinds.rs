//! The webhook against the simulated cluster's issue-12 kinds: a LimitRange created in the sim
//! reaches the webhook's LimitRange watch (`ClusterState::watch`), and the pods the sim's
//! StatefulSet, DaemonSet, Job and CronJob controllers make resolve, through the policy crate's
//! workload identity, to the workload that made them.

use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{LimitRange, Namespace, Pod};
use kube::api::{Api, ListParams, PostParams};
use rightsize_policy::workload::{WorkloadKind, WorkloadRef};
use rightsize_sim_cluster::testing::{eventually, first_listed};
use rightsize_sim_cluster::{NodeConfig, RUN_FOR_ANNOTATION, SimCluster, SimConfig};
use rightsize_webhook::admission::LimitRangeSnapshot;
use rightsize_webhook::app::ClusterState;
use serde_json::json;

#[tokio::test]
async fn a_limit_range_created_in_the_sim_reaches_the_webhook_watch() {
    let sim = SimCluster::start(SimConfig::default()).await.unwrap();
    let client = sim.client().unwrap();
    let state = ClusterState::watch(&client);
    let lr: LimitRange = serde_json::from_value(json!({
        "metadata": {"name": "mem", "namespace": "default"},
        "spec": {"limits": [{"type": "Container", "max": {"memory": "1Gi"}, "min": {"memory": "32Mi"},
            "maxLimitRequestRatio": {"memory": "4"}}]}
    }))
    .unwrap();
    let stored = Api::<LimitRange>::namespaced(client, "default")
        .create(&PostParams::default(), &lr)
        .await
        .unwrap();
    let expected = LimitRangeSnapshot::from_limit_ranges([&stored]);
    assert!(expected.container_memory.max.is_some());
    eventually("the webhook's watch to see the LimitRange", || {
        let seen = state.limit_ranges.get().get("default").copied();
        std::future::ready((seen == Some(expected)).then_some(()))
    })
    .await;
}

fn template(app: &str, restart: &str) -> serde_json::Value {
    json!({"metadata": {"labels": {"app": app}, "annotations": {RUN_FOR_ANNOTATION: "1h"}},
        "spec": {"restartPolicy": restart, "containers": [{"name": "app", "image": "registry.example/app:1",
            "resources": {"requests": {"memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]}})
}

/// The first pod labelled `app=<app>`, waiting for the controller to make it.
async fn first_pod(pods: &Api<Pod>, app: &str) -> Pod {
    let by_app = ListParams::default().labels(&format!("app={app}"));
    first_listed(pods, &by_app, &format!("a pod for {app}")).await
}

#[tokio::test]
async fn pods_of_each_sim_workload_kind_resolve_to_their_workload() {
    let sim = SimCluster::start(SimConfig {
        nodes: vec![NodeConfig::new("node-a", "8", "16Gi")],
        // One simulated minute per 0.5 s, so the CronJob runs within the wait.
        speed: 120.0,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = sim.client().unwrap();
    let pp = PostParams::default();
    // The namespace must exist first, as in a real cluster.
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "shop"}})).unwrap();
    Api::<Namespace>::all(client.clone())
        .create(&pp, &ns)
        .await
        .unwrap();
    let sts: StatefulSet = serde_json::from_value(json!({"metadata": {"name": "db"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": "db"}}, "template": template("db", "Always")}}))
    .unwrap();
    Api::<StatefulSet>::namespaced(client.clone(), "shop")
        .create(&pp, &sts)
        .await
        .unwrap();
    let ds: DaemonSet = serde_json::from_value(json!({"metadata": {"name": "agent"}, "spec": {
        "selector": {"matchLabels": {"app": "agent"}}, "template": template("agent", "Always")}}))
    .unwrap();
    Api::<DaemonSet>::namespaced(client.clone(), "shop")
        .create(&pp, &ds)
        .await
        .unwrap();
    let job: Job = serde_json::from_value(json!({"metadata": {"name": "report"}, "spec": {
        "template": template("report", "Never")}}))
    .unwrap();
    Api::<Job>::namespaced(client.clone(), "shop")
        .create(&pp, &job)
        .await
        .unwrap();
    let cj: CronJob = serde_json::from_value(json!({"metadata": {"name": "nightly"}, "spec": {
        "schedule": "* * * * *", "jobTemplate": {"spec": {"template": template("nightly", "OnFailure")}}}}))
    .unwrap();
    Api::<CronJob>::namespaced(client.clone(), "shop")
        .create(&pp, &cj)
        .await
        .unwrap();

    let pods: Api<Pod> = Api::namespaced(client, "shop");
    for (app, kind, name) in [
        ("db", WorkloadKind::StatefulSet, "db"),
        ("agent", WorkloadKind::DaemonSet, "agent"),
        ("report", WorkloadKind::Job, "report"),
        ("nightly", WorkloadKind::CronJob, "nightly"),
    ] {
        let pod = first_pod(&pods, app).await;
        let got = WorkloadRef::of_pod(&pod.metadata, Some("shop")).unwrap();
        assert_eq!(
            got,
            WorkloadRef::new("shop", kind, name),
            "pod {:?}",
            pod.metadata.name
        );
    }
}
