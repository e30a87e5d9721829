//! Two replicas of the real binary on one Lease: one acts; SIGKILL it and the other takes over
//! within the lease duration plus its retry period; stop that one gracefully (SIGTERM) and the
//! first takes over at once; no resize is applied twice, no history is lost.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use rightsize_sim_cluster::SimConfig;
use serde_json::json;

use crate::common::*;

/// Seconds of the lease in these tests.
const LEASE_SECONDS: u64 = 3;

fn replica(kubeconfig: &std::path::Path, name: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rightsize-controller"))
        .env_clear()
        .env("KUBECONFIG", kubeconfig)
        .env("LOG_LEVEL", "INFO")
        .args(["--metrics-source", "api", "--metrics-fetch-interval", "0.3"])
        .args(["--pod-namespace", OWN_NS, "--pod-name", name])
        .args(["--lease-duration", &LEASE_SECONDS.to_string()])
        .args([
            "--admin-addr",
            "127.0.0.1:0",
            "--history-flush-interval",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the controller binary starts")
}

async fn holder(client: &kube::Client) -> Option<String> {
    Api::<Lease>::namespaced(client.clone(), OWN_NS)
        .get_opt("rightsize-controller")
        .await
        .ok()
        .flatten()?
        .spec?
        .holder_identity
}

async fn held_by(client: &kube::Client, name: &str) -> Duration {
    let start = Instant::now();
    eventually(&format!("lease held by {name}"), || async {
        (holder(client).await.as_deref() == Some(name)).then_some(())
    })
    .await;
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standby_takes_over_after_sigkill_and_at_once_after_sigterm() {
    let (sim, client) = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_service_account_kubeconfig(&kubeconfig, OWN_NS, "rightsize-controller")
        .unwrap();
    let pods = create(
        &client,
        &pod("web", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&pods, "web").await;
    let mut a = replica(&kubeconfig, "a");
    held_by(&client, "a").await;
    let mut b = replica(&kubeconfig, "b");
    // The leader resizes the pod once; the standby does nothing.
    eventually("resized by the leader", || async {
        let p = pods.get("web").await.ok()?;
        (spec_memory(&p, "app").1? > 100.0 * MI).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let resized = events(&client, "web", "Resized").await;
    assert_eq!(resized.len(), 1, "one resize, by one replica: {resized:?}");
    assert_eq!(holder(&client).await.as_deref(), Some("a"));

    // Hard kill: b takes over within the lease duration plus its retry period.
    a.kill().unwrap();
    a.wait().unwrap();
    let took = held_by(&client, "b").await;
    assert!(
        took <= Duration::from_secs(LEASE_SECONDS)
            + Duration::from_secs(LEASE_SECONDS) / 3
            + Duration::from_secs(1),
        "takeover after SIGKILL took {took:?}"
    );

    // Graceful stop: b releases the lease on SIGTERM and a (restarted) takes over at once.
    let mut a = replica(&kubeconfig, "a");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let term = Command::new("kill")
        .args(["-TERM", &b.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = b.wait().unwrap();
    assert!(status.success(), "graceful exit: {status:?}");
    let took = held_by(&client, "a").await;
    assert!(
        took < Duration::from_secs(LEASE_SECONDS),
        "takeover after SIGTERM took {took:?}"
    );
    // Still one resize: the new leaders resumed, they did not redo it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(events(&client, "web", "Resized").await.len(), 1);
    // The history written by the first leader survived the handovers.
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(client.clone(), OWN_NS);
    let stored = cms.list(&Default::default()).await.unwrap().items;
    assert!(stored.iter().any(|c| {
        c.binary_data
            .as_ref()
            .is_some_and(|d| d.keys().any(|k| k.contains("web")))
    }));
    a.kill().unwrap();
    a.wait().unwrap();
}
