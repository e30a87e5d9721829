//! `rightsize-controller` binary: parse, log, connect, run until SIGTERM/SIGINT. Wiring only.
use clap::Parser;
use rightsize_controller::{Args, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Args::parse().settings()?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            settings.log_level.directive(),
        ))
        .json()
        .init();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = kube::Client::try_default().await?;
    run(settings, client, shutdown_signal(), None).await
}

/// SIGTERM (Kubernetes stopping the pod) or SIGINT.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
