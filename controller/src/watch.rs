//! The caches (kube-runtime reflectors, never re-listed per cycle) and what the controller does
//! on the pod watch events themselves: OOM kills are bumped at once, not at the next cycle, and
//! deleted pods are forgotten.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use futures_util::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, ResourceExt};
use rightsize_policy::Observation;
use rightsize_policy::workload::WorkloadRef;

use crate::actuate;
use crate::context::{Context, now};
use crate::cycle;
use crate::error::Error;
use crate::events::Reason;
use crate::oom;
use crate::plan;
use crate::pods;

/// A cache of `K` and the stream that keeps it current (to be polled by one task).
pub type Reflected<K> = (
    Store<K>,
    std::pin::Pin<Box<dyn Stream<Item = Result<Event<K>, watcher::Error>> + Send>>,
);

fn reflect<K>(api: Api<K>, config: watcher::Config) -> Reflected<K>
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let (store, writer) = reflector::store();
    let stream = watcher::watcher(api, config)
        .default_backoff()
        // managedFields are a large part of every object and nothing here reads them.
        .modify(|o: &mut K| o.meta_mut().managed_fields = None);
    (store, Box::pin(reflector::reflector(writer, stream)))
}

/// Pods (narrowed by `LABEL_SELECTOR`), opted-in namespaces, nodes.
pub fn caches(
    client: &Client,
    selector: Option<&str>,
    namespace_label: &(String, String),
) -> (Reflected<Pod>, Reflected<Namespace>, Reflected<Node>) {
    let mut pod_cfg = watcher::Config::default();
    if let Some(s) = selector {
        pod_cfg = pod_cfg.labels(s);
    }
    let ns_cfg =
        watcher::Config::default().labels(&format!("{}={}", namespace_label.0, namespace_label.1));
    (
        reflect(Api::all(client.clone()), pod_cfg),
        reflect(Api::all(client.clone()), ns_cfg),
        reflect(Api::all(client.clone()), watcher::Config::default()),
    )
}

/// Poll a cache's stream until it ends, logging each watch error once.
pub async fn drive<K: Send>(
    ctx: &Context,
    what: &'static str,
    mut stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event<K>, watcher::Error>> + Send>>,
) {
    while let Some(ev) = stream.next().await {
        if let Err(source) = ev {
            ctx.report(&Error::Watch { what, source });
        }
    }
}

/// Poll the pod stream: handle OOM kills and deletions on the events themselves.
pub async fn drive_pods(
    ctx: &Context,
    mut stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event<Pod>, watcher::Error>> + Send>>,
) {
    while let Some(ev) = stream.next().await {
        match ev {
            Ok(Event::Apply(pod) | Event::InitApply(pod)) => on_pod(ctx, &pod).await,
            Ok(Event::Delete(pod)) => {
                let uid = pod.uid().unwrap_or_default();
                ctx.state().forget(&uid, pods::id(&pod));
            }
            Ok(Event::InitDone) => ctx.ready.store(true, Ordering::Relaxed),
            Ok(Event::Init) => {}
            Err(source) => ctx.report(&Error::Watch {
                what: "pods",
                source,
            }),
        }
    }
}

/// One pod event: act on new OOM kills of a managed pod.
pub async fn on_pod(ctx: &Context, pod: &Pod) {
    let uid = pod.uid().unwrap_or_default();
    let t = now();
    let (new, first_sight) = {
        let mut st = ctx.state();
        let first_sight = !st.oom_handled.contains_key(&uid);
        let handled = st.oom_handled.entry(uid.clone()).or_insert_with(|| {
            pods::parse_pairs(pod.annotations().get(pods::OOM_HANDLED_ANNOTATION))
        });
        let kills = oom::kills(pod);
        let new: Vec<oom::OomKill> = kills
            .into_iter()
            .filter(|k| oom::is_new(k, handled, first_sight, t))
            .collect();
        (new, first_sight)
    };
    if new.is_empty() || !ctx.is_leader() {
        return;
    }
    let Some(mode) = ctx.selection().mode(pod) else {
        return;
    };
    let _ = first_sight;
    // kube-state-metrics may have reported (and claimed) the same kill meanwhile.
    let new: Vec<oom::OomKill> = {
        let mut st = ctx.state();
        let handled = st.oom_handled.entry(uid.clone()).or_default();
        new.into_iter().filter(|k| oom::claim(handled, k)).collect()
    };
    if !new.is_empty() {
        handle_kills(ctx, pod, mode, &new, t).await;
    }
}

/// Record each kill in the profile, bump memory as the policy decides, flush the history at once.
pub(crate) async fn handle_kills(
    ctx: &Context,
    pod: &Pod,
    mode: pods::Mode,
    kills: &[oom::OomKill],
    t: f64,
) {
    let uid = pod.uid().unwrap_or_default();
    let Ok(workload) = WorkloadRef::of_pod(&pod.metadata, None) else {
        return;
    };
    cycle::restore(ctx, &[std::sync::Arc::new(pod.clone())]).await;
    let bounds = cycle::bounds(ctx, pod);
    let mut plans = Vec::new();
    let markers = {
        let mut st = ctx.state();
        for kill in kills {
            ctx.metrics.oom_kill(kill.init);
            let spec = pod.spec.as_ref();
            let container = spec
                .into_iter()
                .flat_map(|s| {
                    s.containers
                        .iter()
                        .chain(s.init_containers.iter().flatten())
                })
                .find(|c| c.name == kill.container);
            let Some(container) = container else { continue };
            let Some(current) = pods::actual_memory(pod, container) else {
                continue;
            };
            let seen = st
                .last_usage
                .get(&(uid.clone(), kill.container.clone()))
                .copied()
                .unwrap_or(0.0);
            // The working set reached the limit when the kernel killed the container.
            let peak = current.limit.max(seen);
            let obs = Observation {
                pod: pods::id(pod),
                t,
                usage: peak,
                peak,
                duration: ctx.settings.metrics.fetch_interval.as_secs_f64(),
                oom: true,
                current,
                pod_start: pods::clock_start(pod).unwrap_or(t),
            };
            let sizer = st
                .sizers
                .get(&(workload.key(), kill.container.clone()), pods::id(pod));
            let decision = sizer.observe(&obs);
            ctx.history
                .update(&workload, &kill.container, sizer.profile());
            tracing::info!(pod = %pods::key(pod), container = %kill.container, restarts = kill.marker, "OOM kill seen");
            let resizable = pods::is_running(pod) && !kill.final_;
            if let (Some(d), true) = (decision, resizable) {
                let init =
                    !spec.is_some_and(|s| s.containers.iter().any(|c| c.name == kill.container));
                if let Ok(mut p) = plan::plan(pod, container, init, &d, bounds)
                    && !cycle::blocked_by_infeasible(&st.infeasible, &uid, &p, bounds.pod_node)
                {
                    let by = kill
                        .reported_by
                        .map(|r| format!(", reported by {r}"))
                        .unwrap_or_default();
                    p.reason = format!("OOM kill (restart {}{by}): {}", kill.marker, p.reason);
                    cycle::recommend_only(ctx, mode, &mut p);
                    plans.push(p);
                }
            }
        }
        let handled = st.oom_handled.entry(uid.clone()).or_default();
        for kill in kills {
            handled.insert(kill.container.clone(), kill.marker.to_string());
        }
        pods::format_pairs(handled)
    };
    if let Err(source) = ctx.history.flush_now().await {
        ctx.report(&Error::FlushHistory { source });
    }
    let mut extra = BTreeMap::new();
    extra.insert(pods::OOM_HANDLED_ANNOTATION.to_owned(), Some(markers));
    if plans.is_empty() {
        if let Err(e) = actuate::annotate(ctx, pod, &extra).await {
            ctx.report(&e);
        }
        return;
    }
    for p in plans {
        actuate::execute(ctx, pod, &p, Reason::OomKillBump, extra.clone()).await;
    }
}
