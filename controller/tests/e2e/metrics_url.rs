//! Metrics read by URL (`METRICS_SOURCE=url`, the original's way): the sim's metrics-server at a
//! URL of its own, over HTTPS with a self-signed certificate, requiring a bearer token. `VERIFY_CERT=false` reads it and drives a resize;
//! `VERIFY_CERT=true` without the CA refuses it; with the CA given it works again.

use std::net::SocketAddr;

use rightsize_sim_cluster::{SimCluster, SimConfig};
use serde_json::json;

use crate::common::*;

/// A sim that also serves metrics-server at its own HTTPS URL.
async fn start_with_metrics_url() -> (SimCluster, kube::Client) {
    start_sim(SimConfig {
        metrics_server_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        ..SimConfig::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_by_url_drive_a_resize_with_verify_cert_false_and_are_refused_with_true_and_no_ca()
{
    let (sim, client) = start_with_metrics_url().await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{}\n", sim.metrics_token())).unwrap();
    let ca_file = dir.path().join("ca.crt");
    std::fs::write(&ca_file, sim.metrics_server_ca_pem().unwrap()).unwrap();
    let url = sim.metrics_server_url().unwrap();
    let base = [
        "--metrics-source",
        "url",
        "--metrics-server-url",
        url.as_str(),
        "--service-account-token-file",
        token.to_str().unwrap(),
    ];

    // VERIFY_CERT=true and no CA: every read is refused, nothing is resized.
    let pods = create(
        &client,
        &pod("strict", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&pods, "strict").await;
    let ctl = Controller::start(&sim, &[&base[..], &["--verify-cert", "true"]].concat()).await;
    let m = eventually("failed metrics reads counted", || async {
        let m = ctl.metrics().await;
        (metric(
            &m,
            "rightsize_controller_api_errors_total{kind=\"fetch_metrics_url\"}",
        ) >= 2.0)
            .then_some(m)
    })
    .await;
    assert_eq!(metric(&m, "rightsize_controller_pods_observed"), 0.0);
    assert_eq!(
        spec_memory(&pods.get("strict").await.unwrap(), "app").1,
        Some(100.0 * MI)
    );
    ctl.stop().await.unwrap();

    // VERIFY_CERT=false: the same endpoint drives a resize.
    let ctl = Controller::start(&sim, &[&base[..], &["--verify-cert", "false"]].concat()).await;
    eventually("resized from metrics read by URL", || async {
        let p = pods.get("strict").await.ok()?;
        (spec_memory(&p, "app").1? > 100.0 * MI).then_some(())
    })
    .await;
    ctl.stop().await.unwrap();

    // VERIFY_CERT=true with the CA given: verified and read.
    let second = create(
        &client,
        &pod("verified", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&second, "verified").await;
    let ctl = Controller::start(
        &sim,
        &[
            &base[..],
            &[
                "--verify-cert",
                "true",
                "--metrics-ca-file",
                ca_file.to_str().unwrap(),
            ],
        ]
        .concat(),
    )
    .await;
    eventually("resized with a verified certificate", || async {
        let p = second.get("verified").await.ok()?;
        (spec_memory(&p, "app").1? > 100.0 * MI).then_some(())
    })
    .await;
    ctl.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_a_counted_401_not_a_resize() {
    let (sim, client) = start_with_metrics_url().await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "not-the-token").unwrap();
    let pods = create(
        &client,
        &pod("p", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&pods, "p").await;
    let url = sim.metrics_server_url().unwrap();
    let ctl = Controller::start(
        &sim,
        &[
            "--metrics-source",
            "url",
            "--metrics-server-url",
            &url,
            "--verify-cert",
            "false",
            "--service-account-token-file",
            token.to_str().unwrap(),
        ],
    )
    .await;
    eventually("401 counted", || async {
        let m = ctl.metrics().await;
        (metric(
            &m,
            "rightsize_controller_api_errors_total{kind=\"metrics_url_status_401\"}",
        ) >= 1.0)
            .then_some(())
    })
    .await;
    assert_eq!(
        spec_memory(&pods.get("p").await.unwrap(), "app").1,
        Some(100.0 * MI)
    );
    ctl.stop().await.unwrap();
}
