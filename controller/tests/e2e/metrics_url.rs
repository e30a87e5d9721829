//! Metrics read by URL (`METRICS_SOURCE=url`, the original's way): a metrics endpoint of its own
//! over HTTPS with a self-signed certificate that requires a bearer token, serving the
//! simulated cluster's PodMetrics list. `VERIFY_CERT=false` reads it and drives a resize;
//! `VERIFY_CERT=true` without the CA refuses it; with the CA given it works again.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use rightsize_sim_cluster::SimConfig;
use serde_json::json;

use crate::common::*;

const TOKEN: &str = "sa-token-for-tests";

#[derive(Clone)]
struct Upstream {
    sim_url: String,
}

/// metrics-server's PodMetrics path, authorised by bearer token, answered from the sim.
async fn pod_metrics(State(u): State<Upstream>, headers: HeaderMap) -> (StatusCode, String) {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {TOKEN}") {
        return (StatusCode::UNAUTHORIZED, "Unauthorized".into());
    }
    let url = format!("{}/apis/metrics.k8s.io/v1beta1/pods", u.sim_url);
    match reqwest::get(&url).await {
        Ok(r) => (StatusCode::OK, r.text().await.unwrap_or_default()),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

/// Start the endpoint; returns its address and the PEM of its self-signed certificate.
async fn serve(sim_url: String) -> (SocketAddr, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_pem = ck.cert.pem();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert_pem.clone().into_bytes(),
        ck.signing_key.serialize_pem().into_bytes(),
    )
    .await
    .unwrap();
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    let app = Router::new()
        .route("/apis/metrics.k8s.io/v1beta1/pods", get(pod_metrics))
        .with_state(Upstream { sim_url });
    tokio::spawn(async move {
        axum_server::bind_rustls(SocketAddr::from(([127, 0, 0, 1], 0)), tls)
            .handle(h)
            .serve(app.into_make_service())
            .await
            .unwrap();
    });
    (handle.listening().await.expect("listening"), cert_pem)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_by_url_drive_a_resize_with_verify_cert_false_and_are_refused_with_true_and_no_ca()
{
    let (sim, client) = start_sim(SimConfig::default()).await;
    let (addr, ca) = serve(sim.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    let ca_file = dir.path().join("ca.crt");
    std::fs::write(&ca_file, &ca).unwrap();
    let url = format!("https://localhost:{}", addr.port());
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
    let (sim, client) = start_sim(SimConfig::default()).await;
    let (addr, _) = serve(sim.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "not-the-token").unwrap();
    let pods = create(
        &client,
        &pod("p", "100Mi", "100Mi", "constant:95Mi", json!({})),
    )
    .await;
    running(&pods, "p").await;
    let url = format!("https://localhost:{}", addr.port());
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
