//! Certificate rotation on loopback: the serving pair lives in a tempdir laid out like a mounted
//! Secret; swapping its `..data` symlink (as the kubelet does) gives NEW connections the new
//! certificate without a restart, while a broken pair (key of another certificate, garbage PEM)
//! keeps the previous one serving. Also: TLS 1.2 and 1.3, ALPN h2 and http/1.1.

mod support;

use std::sync::Arc;
use std::time::Duration;

use rightsize_webhook::metrics::WebhookMetrics;
use rightsize_webhook::server::{self, TlsServer};
use rightsize_webhook::tls::ReloadingCert;
use rustls::version::{TLS12, TLS13};
use support::pki::{Ca, SecretVolume, client_config, handshake};
use support::{MapProfiles, app};

#[tokio::test]
async fn swapping_data_serves_the_new_certificate_and_a_broken_pair_keeps_the_old_one() {
    rightsize_webhook::tls::install_default_provider();
    let ca = Ca::new("rotation-test-ca");
    let first = ca.leaf(&["localhost"]);
    let second = ca.leaf(&["localhost"]);
    let dir = tempfile::tempdir().unwrap();
    let volume = SecretVolume::new(
        dir.path(),
        &[
            ("tls.crt", first.cert_pem.as_bytes()),
            ("tls.key", first.key_pem.as_bytes()),
            ("ca.crt", ca.pem.as_bytes()),
        ],
    );
    let metrics = WebhookMetrics::default();
    let cert = ReloadingCert::load(
        volume.path("tls.crt"),
        volume.path("tls.key"),
        metrics.clone(),
    )
    .unwrap();
    let app = app(MapProfiles::default());
    let tls = TlsServer::start(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(cert),
        server::router(app),
    )
    .await
    .unwrap();
    let addr = tls.local_addr().await.unwrap();
    let client = client_config(&ca.pem, &[b"h2", b"http/1.1"], &[&TLS13, &TLS12]);

    let seen = handshake(addr, "localhost", client.clone()).await.unwrap();
    assert_eq!(seen.leaf_der, first.der);
    assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(seen.version, Some(rustls::ProtocolVersion::TLSv1_3));

    // The kubelet swaps ..data: the next connection gets the new certificate.
    volume.update(&[
        ("tls.crt", second.cert_pem.as_bytes()),
        ("tls.key", second.key_pem.as_bytes()),
        ("ca.crt", ca.pem.as_bytes()),
    ]);
    let seen = handshake(addr, "localhost", client.clone()).await.unwrap();
    assert_eq!(seen.leaf_der, second.der);
    assert_eq!(
        (metrics.cert_reloads(true), metrics.cert_reloads(false)),
        (1, 0)
    );
    // Unchanged files are not re-read.
    handshake(addr, "localhost", client.clone()).await.unwrap();
    assert_eq!(metrics.cert_reloads(true), 1);

    // A pair whose key is not the certificate's: refused, the previous pair keeps serving.
    let third = ca.leaf(&["localhost"]);
    volume.update(&[
        ("tls.crt", third.cert_pem.as_bytes()),
        ("tls.key", first.key_pem.as_bytes()),
    ]);
    let seen = handshake(addr, "localhost", client.clone()).await.unwrap();
    assert_eq!(seen.leaf_der, second.der);
    assert_eq!(metrics.cert_reloads(false), 1);
    // Garbage where the PEM should be: the same.
    volume.update(&[
        ("tls.crt", b"-----BEGIN CERTIFICATE-----\nnot base64\n"),
        ("tls.key", third.key_pem.as_bytes()),
    ]);
    let seen = handshake(addr, "localhost", client.clone()).await.unwrap();
    assert_eq!(seen.leaf_der, second.der);
    assert_eq!(metrics.cert_reloads(false), 2);
    // Then a good pair again.
    volume.update(&[
        ("tls.crt", third.cert_pem.as_bytes()),
        ("tls.key", third.key_pem.as_bytes()),
    ]);
    let seen = handshake(addr, "localhost", client).await.unwrap();
    assert_eq!(seen.leaf_der, third.der);
    assert_eq!(metrics.cert_reloads(true), 2);

    // TLS 1.2 only, HTTP/1.1 only: still served.
    let old_client = client_config(&ca.pem, &[b"http/1.1"], &[&TLS12]);
    let seen = handshake(addr, "localhost", old_client).await.unwrap();
    assert_eq!(seen.version, Some(rustls::ProtocolVersion::TLSv1_2));
    assert_eq!(seen.alpn.as_deref(), Some(&b"http/1.1"[..]));

    tls.shutdown(Duration::from_secs(1)).await.unwrap();
}

#[test]
fn a_broken_pair_at_start_is_an_error_naming_the_file() {
    let ca = Ca::new("ca");
    let a = ca.leaf(&["localhost"]);
    let b = ca.leaf(&["localhost"]);
    let dir = tempfile::tempdir().unwrap();
    let crt = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    std::fs::write(&crt, &a.cert_pem).unwrap();
    std::fs::write(&key, &b.key_pem).unwrap();
    let err = ReloadingCert::load(&crt, &key, WebhookMetrics::default()).unwrap_err();
    assert_eq!(err.metric_label(), "mismatch");
    let err = ReloadingCert::load(dir.path().join("missing"), &key, WebhookMetrics::default())
        .unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}
