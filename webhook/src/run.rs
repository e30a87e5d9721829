//! Wiring of the binary: configuration, logging, the Kubernetes client, the history view and
//! cluster caches, the TLS admission server and the admin server, and shutdown on SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rightsize_history::HistoryView;
use tracing_subscriber::EnvFilter;

use crate::admin;
use crate::app::{App, ClusterState};
use crate::cli::Args;
use crate::metrics::Metrics;
use crate::server::{self, TlsServer};
use crate::tls::{self, ReloadingCert};

/// Runs the webhook until SIGTERM or Ctrl-C.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let level = args.logging.level()?;
    init_logging(level.directive());
    // Validate the settings before anything starts (DESIGN §4: a bad value stops us).
    let config = args.admission.config(&args.policy)?;
    tls::install_default_provider();

    let metrics = Metrics::new();
    let cert = ReloadingCert::load(&args.tls_cert, &args.tls_key, metrics.webhook.clone())
        .context("loading the serving certificate")?;
    // KUBECONFIG, else ~/.kube/config, else the in-cluster ServiceAccount.
    let client = kube::Client::try_default()
        .await
        .context("creating the Kubernetes client")?;
    let view = Arc::new(HistoryView::start(
        client.clone(),
        &args.history_namespace,
        metrics.history.clone(),
    ));
    let cluster = ClusterState::watch(&client);
    let app = Arc::new(App::new(
        view.clone(),
        config,
        cluster,
        metrics.webhook.clone(),
    ));

    let tls_server = TlsServer::start(args.listen, Arc::new(cert), server::router(app)).await?;
    let addr = tls_server
        .local_addr()
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let admin_listener = tokio::net::TcpListener::bind(args.admin_listen)
        .await
        .with_context(|| format!("binding {}", args.admin_listen))?;
    let ready_view = Arc::clone(&view);
    let admin_router = admin::router(metrics.clone(), Arc::new(move || ready_view.is_ready()));
    let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    let admin_task = tokio::spawn(
        axum::serve(admin_listener, admin_router)
            .with_graceful_shutdown(async {
                let _ = admin_stopped.await;
            })
            .into_future(),
    );
    tracing::info!(%addr, admin = %args.admin_listen, "rightsize-webhook serving");

    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    tls_server
        .shutdown(Duration::from_secs(args.shutdown_grace_seconds))
        .await?;
    let _ = stop_admin.send(());
    admin_task.await??;
    Ok(())
}

fn init_logging(directive: &str) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(directive));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .json()
        .try_init();
}

/// SIGTERM (the kubelet stopping the pod) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
