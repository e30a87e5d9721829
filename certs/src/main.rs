//! `rightsize-certs`: wiring only (see the library for what a run does).

use clap::Parser;
use rightsize_certs::cli::Args;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    // One crypto provider across kube's rustls and rcgen: ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Args::parse().run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("rightsize-certs failed: {e:#}");
            eprintln!("rightsize-certs: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
