//! Wiring: caches, metrics source, history writer, admin server, leader election and the cycle
//! loop, all stopped by one shutdown signal. [`run`] is what `main` calls and what the
//! end-to-end tests call with a client of the simulated cluster.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context as _;
use kube::Client;
use rightsize_history::{HistoryConfig, HistoryWriter};
use rightsize_policy::config::MetricsSource;
use tokio::sync::watch;

use crate::admin::{self, AdminState};
use crate::config::Settings;
use crate::context::Context;
use crate::cycle;
use crate::leader::Candidate;
use crate::metrics::Metrics;
use crate::samples::Source;
use crate::watch as caches;

/// Identity of this replica: `POD_NAME`, else the host name, else a fixed name.
fn identity(settings: &Settings) -> String {
    settings
        .controller
        .pod_name
        .clone()
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| format!("rightsize-controller-{}", std::process::id()))
}

/// The minor version from `/version` (`"33"`, `"34+"` on some providers).
fn minor(info: &k8s_openapi::apimachinery::pkg::version::Info) -> u32 {
    let digits: String = info
        .minor
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(0)
}

/// Called once the admin server is bound (tests read the port from it).
pub type OnStarted = Box<dyn FnOnce(std::net::SocketAddr) + Send>;

/// Run the controller until `shutdown` completes; then stop acting, flush the history, release
/// the Lease and return.
pub async fn run(
    settings: Settings,
    client: Client,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_started: Option<OnStarted>,
) -> anyhow::Result<()> {
    let info = client
        .apiserver_version()
        .await
        .context("reading the API server version (/version)")?;
    let minor = minor(&info);
    let metrics = Metrics::new();
    let source = match settings.controller.metrics_source {
        MetricsSource::Api => Source::Api(client.clone()),
        MetricsSource::Url => Source::Url {
            http: Source::http_client(
                settings.metrics.verify_cert,
                settings.controller.metrics_ca_file.as_deref(),
            )?,
            url: settings.metrics.metrics_server_url.clone(),
            token_file: settings.controller.service_account_token_file.clone(),
        },
    };
    let (pods, namespaces, nodes) = caches::caches(
        &client,
        settings.selector.as_deref(),
        &settings.controller.namespace_label,
    );
    let mut history_config = HistoryConfig::new(&settings.controller.pod_namespace);
    history_config.flush_interval = settings.controller.history_flush_interval;
    let history = Arc::new(HistoryWriter::new(
        client.clone(),
        history_config,
        metrics.history.clone(),
    ));
    let (leader_tx, leader_rx) = watch::channel(!settings.controller.leader_election);
    let (stop_tx, stop_rx) = watch::channel(false);
    let id = identity(&settings);
    tracing::info!(identity = %id, kubernetes = %info.git_version, policy = ?settings.policy, source = settings.controller.metrics_source.as_str(), "starting");
    let mut ctx = Context::new(
        client.clone(),
        settings.clone(),
        metrics.clone(),
        source,
        (pods.0, namespaces.0, nodes.0),
        history.clone(),
        leader_rx.clone(),
        minor,
        id.clone(),
    );
    if let Some(url) = &settings.metrics.kube_state_metrics_url {
        let http = Source::http_client(
            settings.metrics.verify_cert,
            settings.controller.metrics_ca_file.as_deref(),
        )?;
        ctx.kube_state_metrics = Some(crate::kube_state_metrics::Endpoint::new(http, url));
    }
    let ctx = Arc::new(ctx);
    let admin_state = AdminState {
        metrics: metrics.clone(),
        ready: ctx.ready.clone(),
    };
    let mut stop_admin = stop_rx.clone();
    let (addr, serve) = admin::bind(settings.controller.admin_addr, admin_state, async move {
        let _ = stop_admin.wait_for(|s| *s).await;
    })
    .await
    .with_context(|| {
        format!(
            "binding the admin server on {}",
            settings.controller.admin_addr
        )
    })?;
    tracing::info!(%addr, "admin server listening");
    if let Some(f) = on_started {
        f(addr);
    }
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(serve);
    {
        let c1 = ctx.clone();
        tasks.spawn(async move { caches::drive_pods(&c1, pods.1).await });
        let c2 = ctx.clone();
        tasks.spawn(async move { caches::drive(&c2, "namespaces", namespaces.1).await });
        let c3 = ctx.clone();
        tasks.spawn(async move { caches::drive(&c3, "nodes", nodes.1).await });
    }
    // Without election the sender lives until the end: the lead never changes.
    let mut fixed_lead = None;
    let election = if settings.controller.leader_election {
        let candidate = Candidate::new(
            client.clone(),
            &settings.controller.pod_namespace,
            &settings.controller.lease_name,
            &id,
            settings.controller.lease_duration,
        );
        Some(tokio::spawn(candidate.run(leader_tx, stop_rx.clone())))
    } else {
        fixed_lead = Some(leader_tx);
        None
    };
    let history_task = tokio::spawn(history_loop(ctx.clone(), stop_rx.clone()));
    let cycles = tokio::spawn(cycle_loop(ctx.clone(), stop_rx.clone()));
    shutdown.await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let _ = cycles.await;
    let _ = history_task.await;
    if let Some(e) = election {
        let _ = e.await;
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    drop(fixed_lead);
    Ok(())
}

/// While leading: load the store (resume from it), then flush periodically; on losing the lead
/// or at shutdown, flush everything once more.
async fn history_loop(ctx: Arc<Context>, mut stop: watch::Receiver<bool>) {
    let mut leader = ctx.leader.clone();
    loop {
        tokio::select! {
            r = leader.wait_for(|l| *l) => if r.is_err() { return },
            _ = stop.wait_for(|s| *s) => return,
        }
        if let Err(source) = ctx.history.load().await {
            ctx.report(&crate::error::Error::LoadHistory { source });
        }
        let mut lost = ctx.leader.clone();
        let mut stop2 = stop.clone();
        ctx.history
            .run(async move {
                tokio::select! {
                    Ok(_) = lost.wait_for(|l| !*l) => {}
                    _ = stop2.wait_for(|s| *s) => {}
                }
            })
            .await;
        if *stop.borrow() {
            return;
        }
    }
}

/// One cycle every `METRICS_FETCH_INTERVAL` while leading; a cycle in flight is dropped the
/// moment the lead is lost (a leader that loses the Lease stops acting at once).
async fn cycle_loop(ctx: Arc<Context>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(ctx.settings.metrics.fetch_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut leader = ctx.leader.clone();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        ctx.metrics.set_leader(ctx.is_leader());
        if !ctx.is_leader() || !ctx.ready.load(Ordering::Relaxed) {
            continue;
        }
        tokio::select! {
            report = cycle::run_cycle(&ctx) => tracing::debug!(?report, "cycle done"),
            Ok(_) = leader.wait_for(|l| !*l) => {
                tracing::warn!("lost the lead during a cycle: stopped");
                ctx.metrics.set_leader(false);
            }
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
