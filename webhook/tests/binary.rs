//! The real `rightsize-webhook` binary against the simulated cluster: it starts unready, becomes
//! ready once the history view has listed, serves metrics, and exits cleanly on SIGTERM; a bad
//! setting stops it at start with a message naming the variable.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use rightsize_sim_cluster::testing::{eventually, eventually_within, free_local_addr};
use rightsize_sim_cluster::{SimCluster, SimConfig};
use support::pki::Ca;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_rightsize-webhook");
/// Bound of the shutdown after SIGTERM (`SHUTDOWN_GRACE_SECONDS` is 2 here).
const EXIT_WAIT: Duration = Duration::from_secs(15);

/// A plain HTTP/1.1 GET: (status, body), or None when nothing listens yet.
async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_becomes_ready_serves_metrics_and_stops_on_sigterm() {
    let sim = SimCluster::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    let leaf = Ca::new("binary-test").leaf(&["localhost"]);
    std::fs::write(dir.path().join("tls.crt"), &leaf.cert_pem).unwrap();
    std::fs::write(dir.path().join("tls.key"), &leaf.key_pem).unwrap();
    let (port, admin) = (free_local_addr().port(), free_local_addr().port());
    let mut child = Command::new(BIN)
        .env("KUBECONFIG", &kubeconfig)
        .env("LISTEN", format!("127.0.0.1:{port}"))
        .env("ADMIN_LISTEN", format!("127.0.0.1:{admin}"))
        .env("TLS_CERT", dir.path().join("tls.crt"))
        .env("TLS_KEY", dir.path().join("tls.key"))
        .env("SHUTDOWN_GRACE_SECONDS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    eventually("the binary to become ready", || {
        assert!(child.try_wait().unwrap().is_none(), "exited early");
        async move { matches!(get(admin, "/readyz").await, Some((200, _))).then_some(()) }
    })
    .await;
    let (status, metrics) = get(admin, "/metrics").await.unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("rightsize_webhook_history_view_entries"),
        "{metrics}"
    );
    assert_eq!(get(admin, "/healthz").await.unwrap().0, 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = eventually_within(EXIT_WAIT, "an exit after SIGTERM", || {
        std::future::ready(child.try_wait().unwrap())
    })
    .await;
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn a_bad_setting_stops_the_binary_naming_the_variable() {
    let out = Command::new(BIN)
        .env("MAX_MEMORY", "lots")
        .env("TLS_CERT", "/nonexistent/tls.crt")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("MAX_MEMORY=lots"), "{err}");
}
