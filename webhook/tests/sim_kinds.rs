//! The webhook against the simulated cluster's issue-12 kinds: a LimitRange created in the sim
//! reaches the webhook's LimitRange watch (`ClusterState::watch`), and the sim's LimitRanger
//! applies the same LimitRange's defaults before the webhook sees the pod.

use std::time::Duration;

use k8s_openapi::api::core::v1::LimitRange;
use kube::api::{Api, PostParams};
use rightsize_sim_cluster::{SimCluster, SimConfig};
use rightsize_webhook::admission::LimitRangeSnapshot;
use rightsize_webhook::app::ClusterState;
use serde_json::json;

/// Upper bound of a wait (a loaded 2-core CI machine).
const WAIT: Duration = Duration::from_secs(20);

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
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let seen = state.limit_ranges.get().get("default").copied();
        if seen == Some(expected) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the webhook's watch never saw the LimitRange: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
