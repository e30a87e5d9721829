//! The endpoints the sim serves beside the API server: metrics-server at its own HTTPS URL
//! (self-signed, bearer token) and kube-state-metrics' text; and the request counts.

mod common;

use std::net::SocketAddr;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::PostParams;
use rightsize_sim_cluster::SimConfig;
use serde_json::{Value, json};

use common::*;
use rightsize_sim_cluster::testing::eventually;

fn config() -> SimConfig {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    SimConfig {
        metrics_server_listen: Some(any),
        kube_state_metrics_listen: Some(any),
        ..SimConfig::default()
    }
}

fn https(ca: Option<&str>) -> reqwest::Client {
    let mut b = reqwest::Client::builder().use_rustls_tls();
    if let Some(pem) = ca {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_server_url_and_kube_state_metrics_serve_the_pods_of_the_sim() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = start_with(config()).await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "web", "annotations": {"sim.rightsize.dev/memory-profile": "constant:40Mi"}},
        "spec": {"containers": [{"name": "app", "image": "x",
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]}
    }))
    .unwrap();
    let uid = pods
        .create(&PostParams::default(), &pod)
        .await
        .unwrap()
        .metadata
        .uid
        .unwrap();
    let base = sim.metrics_server_url().expect("metrics-server served");
    let url = format!("{base}/apis/metrics.k8s.io/v1beta1/pods");
    let ca = sim.metrics_server_ca_pem().unwrap().to_owned();

    // Verified against its own certificate, with the token: the pod's working set.
    let client = https(Some(&ca));
    let list: Value = eventually("PodMetrics of the running pod", || async {
        let body = client
            .get(&url)
            .bearer_auth(sim.metrics_token())
            .send()
            .await
            .ok()?
            .bytes()
            .await
            .ok()?;
        let v: Value = serde_json::from_slice(&body).ok()?;
        (v["items"].as_array()?.len() == 1).then_some(v)
    })
    .await;
    assert_eq!(list["kind"], "PodMetricsList");
    assert_eq!(
        list["items"][0]["containers"][0]["usage"]["memory"],
        "40960Ki"
    );

    // No token, or a wrong one: 401.
    for req in [client.get(&url), client.get(&url).bearer_auth("nope")] {
        assert_eq!(req.send().await.unwrap().status(), 401);
    }
    // Without the CA the certificate is not trusted.
    assert!(https(None).get(&url).send().await.is_err());

    // kube-state-metrics: plain HTTP text with the real label sets.
    let ksm = sim
        .kube_state_metrics_url()
        .expect("kube-state-metrics served");
    let resp = reqwest::get(format!("{ksm}/metrics")).await.unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = resp.text().await.unwrap();
    let limit = format!(
        "kube_pod_container_resource_limits{{namespace=\"default\",pod=\"web\",uid=\"{uid}\",container=\"app\",node=\"\",resource=\"memory\",unit=\"byte\"}} 134217728"
    );
    let limit_bound = limit.replace("node=\"\"", "node=\"sim-node-1\"");
    assert!(
        text.lines().any(|l| l == limit || l == limit_bound),
        "{text}"
    );

    let counts = sim.request_counts();
    assert_eq!(counts.get("create pods"), Some(&1), "{counts:?}");
    // At least the verified read and the two refused ones (a refused handshake never gets here).
    assert!(
        counts["list metrics-server:pods.metrics.k8s.io"] >= 3,
        "{counts:?}"
    );
    assert_eq!(counts.get("get kube-state-metrics:/metrics"), Some(&1));
}

#[tokio::test]
async fn a_last_oom_kill_is_reported_as_the_last_terminated_reason() {
    let sim = start_with(config()).await;
    let pods: Api<Pod> = Api::namespaced(sim.client().unwrap(), "default");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "hog", "annotations": {"sim.rightsize.dev/memory-profile": "constant:200Mi"}},
        "spec": {"containers": [{"name": "app", "image": "x",
            "resources": {"requests": {"memory": "64Mi"}, "limits": {"memory": "100Mi"}}}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let url = format!("{}/metrics", sim.kube_state_metrics_url().unwrap());
    eventually("OOMKilled as the last terminated reason", || async {
        let text = reqwest::get(&url).await.ok()?.text().await.ok()?;
        text.lines()
            .any(|l| {
                l.starts_with("kube_pod_container_status_last_terminated_reason{")
                    && l.contains("pod=\"hog\"")
                    && l.ends_with("reason=\"OOMKilled\"} 1")
            })
            .then_some(())
    })
    .await;
}
