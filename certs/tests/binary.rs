//! The `rightsize-certs` binary against the simulated cluster through a kubeconfig: flags from
//! the environment, success and idempotence in the logs, a clear message and a non-zero exit on
//! failure.

mod common;

use std::process::Output;

use common::{configuration, sim_with_namespace};
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use kube::api::{Api, PostParams};

async fn run(kubeconfig: &std::path::Path) -> Output {
    let kubeconfig = kubeconfig.to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_rightsize-certs"))
            .env("KUBECONFIG", &kubeconfig)
            .env("WEBHOOK_CONFIG", "rightsize")
            .env("RUST_LOG", "info")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_fails_clearly_without_the_configuration_then_converges() {
    let (sim, client) = sim_with_namespace().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    // As its deploy/ ServiceAccount: a grant missing from deploy/ fails here.
    sim.write_service_account_kubeconfig(&kubeconfig, "rightsize-system", "rightsize-certs")
        .unwrap();

    let out = run(&kubeconfig).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("MutatingWebhookConfiguration rightsize does not exist"),
        "{}",
        text(&out)
    );

    Api::<MutatingWebhookConfiguration>::all(client.clone())
        .create(&PostParams::default(), &configuration(1))
        .await
        .unwrap();
    let out = run(&kubeconfig).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("caBundle patched in 1 webhook(s)"),
        "{}",
        text(&out)
    );
    let out = run(&kubeconfig).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("nothing to change (Keep)"),
        "{}",
        text(&out)
    );
}
