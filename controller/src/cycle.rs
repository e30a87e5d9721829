//! The periodic cycle (every `METRICS_FETCH_INTERVAL`, leader only): one metrics list, follow-up
//! of pending resizes, one observation per managed container with a fresh sample, history
//! updates, then at most `MAX_RESIZES_PER_CYCLE` resizes (at most `MAX_RESIZES_PER_WORKLOAD` per
//! workload), growth first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use rightsize_policy::Observation;
use rightsize_policy::workload::WorkloadRef;

use crate::actuate;
use crate::context::{Context, now};
use crate::events::Reason;
use crate::followup::{self, Pending};
use crate::kube_state_metrics;
use crate::plan::{self, Action, Bounds, Plan};
use crate::pods::{self, Mode};
use crate::sizers::SizerKey;

/// What one cycle did (for tests, the bench and the logs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CycleReport {
    /// Managed pods with a fresh sample.
    pub observed: usize,
    /// Managed pods skipped for want of a fresh sample.
    pub missing: usize,
    /// Plans made (before the limits).
    pub planned: usize,
    /// Plans carried out (sent or recommended).
    pub executed: usize,
}

/// Make sure every workload container of `pods` has its sizer, restored from the history store
/// (the controller resumes from the store after a restart, not from zero).
pub async fn restore(ctx: &Context, pods: &[Arc<Pod>]) {
    let missing: Vec<(WorkloadRef, SizerKey)> = {
        let st = ctx.state();
        let mut seen = HashSet::new();
        pods.iter()
            .filter_map(|p| Some((p, WorkloadRef::of_pod(&p.metadata, None).ok()?)))
            .flat_map(|(p, w)| {
                pods::resizable_containers(p)
                    .map(|(c, _)| (w.clone(), (w.key(), c.name.clone())))
                    .collect::<Vec<_>>()
            })
            .filter(|(_, k)| !st.sizers.contains(k) && seen.insert(k.clone()))
            .collect()
    };
    for (_, key) in missing {
        let stored = ctx
            .history
            .known(&key.0)
            .await
            .and_then(|h| h.container(&key.1).cloned());
        ctx.state().sizers.insert(key, stored);
    }
}

/// The bounds of a resize of `pod`.
pub fn bounds(ctx: &Context, pod: &Pod) -> Bounds {
    let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
    let (pod_node, largest_node) = ctx.node_memory(node);
    Bounds {
        largest_node,
        pod_node,
        minor: ctx.resize_minor(),
        allow_restart: ctx.settings.controller.allow_restart_resize,
    }
}

/// Recommend instead of resizing: RECOMMEND_ONLY, or the pod's mode.
pub fn recommend_only(ctx: &Context, mode: Mode, plan: &mut Plan) {
    if ctx.settings.controller.recommend_only {
        plan.action = Action::Recommend("RECOMMEND_ONLY is set");
    } else if mode == Mode::Recommend {
        plan.action = Action::Recommend("the pod's rightsize.dev/mode is recommend");
    }
}

/// One cycle. Does nothing unless this replica leads.
pub async fn run_cycle(ctx: &Context) -> CycleReport {
    let mut report = CycleReport::default();
    if !ctx.is_leader() {
        return report;
    }
    let start = Instant::now();
    let t_now = now();
    let kube_state = match &ctx.kube_state_metrics {
        Some(endpoint) => endpoint.fetch().await.map_err(|e| ctx.report(&e)).ok(),
        None => None,
    };
    let samples = ctx
        .source
        .fetch(ctx.settings.selector.as_deref(), t_now)
        .await
        .map_err(|e| ctx.report(&e));
    let selection = ctx.selection();
    let all = ctx.pods.state();
    forget_gone(ctx, &all);
    let managed: Vec<(Arc<Pod>, Mode)> = all
        .into_iter()
        .filter(|p| pods::is_running(p))
        .filter_map(|p| selection.mode(&p).map(|m| (p, m)))
        .collect();
    // OOM kills from kube-state-metrics are bumped even when the usage samples failed.
    if let Some(r) = &kube_state {
        kube_state_metrics::apply(ctx, r, &managed, t_now).await;
    }
    let Ok(samples) = samples else {
        return report;
    };
    let mut waiting = HashSet::new();
    for (p, _) in &managed {
        if Pending::of(p) != Pending::Clear && followup::follow_up(ctx, p, t_now).await {
            waiting.insert(p.uid().unwrap_or_default());
        }
    }
    let pod_list: Vec<Arc<Pod>> = managed.iter().map(|(p, _)| p.clone()).collect();
    restore(ctx, &pod_list).await;
    let interval = ctx.settings.metrics.fetch_interval.as_secs_f64();
    let mut plans: Vec<(Arc<Pod>, Plan, String)> = Vec::new();
    {
        let mut st = ctx.state();
        for (p, mode) in &managed {
            let key = pods::key(p);
            let Some(sample) = samples.get(&key) else {
                report.missing += 1;
                continue;
            };
            let uid = p.uid().unwrap_or_default();
            if st.last_sample.get(&uid).is_some_and(|&t| sample.t <= t) {
                report.missing += 1;
                continue;
            }
            st.last_sample.insert(uid.clone(), sample.t);
            report.observed += 1;
            let Ok(workload) = WorkloadRef::of_pod(&p.metadata, None) else {
                continue;
            };
            let id = pods::id(p);
            let bounds = bounds(ctx, p);
            for (c, init) in pods::resizable_containers(p) {
                let (Some(&usage), Some(current)) =
                    (sample.memory.get(&c.name), pods::actual_memory(p, c))
                else {
                    continue;
                };
                st.last_usage.insert((uid.clone(), c.name.clone()), usage);
                let obs = Observation {
                    pod: id,
                    t: sample.t,
                    usage,
                    peak: usage,
                    duration: interval,
                    oom: false,
                    current,
                    pod_start: pods::clock_start(p).unwrap_or(sample.t),
                };
                let sizer = st.sizers.get(&(workload.key(), c.name.clone()), id);
                let decision = sizer.observe(&obs);
                ctx.history.update(&workload, &c.name, sizer.profile());
                let Some(decision) = decision else { continue };
                if waiting.contains(&uid) {
                    continue;
                }
                let Ok(mut plan) = plan::plan(p, c, init, &decision, bounds) else {
                    continue;
                };
                if blocked_by_infeasible(&st.infeasible, &uid, &plan, bounds.pod_node) {
                    continue;
                }
                recommend_only(ctx, *mode, &mut plan);
                plans.push((p.clone(), plan, workload.key()));
            }
        }
    }
    report.planned = plans.len();
    // Growth first: it heads off OOM kills; shrinking can wait a cycle.
    plans.sort_by_key(|(_, plan, _)| !plan.is_up());
    let mut per_workload: HashMap<String, usize> = HashMap::new();
    for (pod, plan, workload) in plans {
        if report.executed >= ctx.settings.controller.max_resizes_per_cycle {
            break;
        }
        let n = per_workload.entry(workload).or_default();
        if *n >= ctx.settings.controller.max_resizes_per_workload {
            continue;
        }
        *n += 1;
        report.executed += 1;
        actuate::execute(ctx, &pod, &plan, Reason::Resized, BTreeMap::new()).await;
    }
    ctx.metrics.cycle_done(
        start.elapsed().as_secs_f64(),
        report.observed,
        report.missing,
    );
    report
}

/// An upward resize to at least a size the kubelet called Infeasible, while the pod's node has
/// not grown since, would only be refused again.
pub fn blocked_by_infeasible(
    infeasible: &HashMap<(String, String), (f64, f64)>,
    uid: &str,
    plan: &Plan,
    node_memory: Option<f64>,
) -> bool {
    let Some(&(request, node_then)) = infeasible.get(&(uid.to_owned(), plan.container.clone()))
    else {
        return false;
    };
    let wanted = plan.after.memory.request.map_or(0.0, |q| q.as_f64());
    plan.is_up() && wanted >= request && node_memory.unwrap_or(0.0) <= node_then
}

/// Drop the state of pods no longer in the cache (a delete missed while the watch was down).
fn forget_gone(ctx: &Context, all: &[Arc<Pod>]) {
    let live: HashSet<String> = all.iter().filter_map(|p| p.uid()).collect();
    let mut st = ctx.state();
    let gone: Vec<String> = st
        .oom_handled
        .keys()
        .filter(|u| !live.contains(*u))
        .cloned()
        .collect();
    for uid in gone {
        let id = pods::id_of_uid(&uid);
        st.forget(&uid, id);
    }
}
