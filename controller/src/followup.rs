//! Follow-up of resizes, decided from the pod's status conditions (KEP-1287 §Resize Status):
//! - `PodResizePending/Deferred`: the kubelet retries by itself, so the same patch is not sent
//!   again; after `RESIZE_DEFERRED_WAIT` the target is lowered halfway toward the actual values
//!   (what runs now surely fits), and again after each further wait;
//! - `PodResizePending/Infeasible`: the desired spec stays impossible until changed, so it is
//!   patched back to the actual values and recorded; no resize up to that size again until the
//!   node grows;
//! - `PodResizeInProgress/Error`: logged and counted once per generation.
//!
//! Each state is reported once per pod generation with an Event.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use rightsize_policy::Decision;

use crate::actuate;
use crate::context::Context;
use crate::events::Reason;
use crate::metrics::Outcome;
use crate::plan::{self, Bounds};
use crate::pods;

/// What the pod's conditions say about its last resize.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    /// Nothing pending: a new resize may be sent.
    Clear,
    /// Admitted, being actuated.
    InProgress,
    Deferred {
        since: Option<f64>,
        message: String,
    },
    Infeasible {
        message: String,
    },
    Error {
        message: String,
    },
}

impl Pending {
    pub fn of(pod: &Pod) -> Self {
        if let Some((reason, msg, since)) = pods::resize_condition(pod, "PodResizePending") {
            return match reason {
                "Infeasible" => Self::Infeasible {
                    message: msg.to_owned(),
                },
                _ => Self::Deferred {
                    since,
                    message: msg.to_owned(),
                },
            };
        }
        match pods::resize_condition(pod, "PodResizeInProgress") {
            Some(("Error", msg, _)) => Self::Error {
                message: msg.to_owned(),
            },
            Some(_) => Self::InProgress,
            None => Self::Clear,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Self::Clear => "clear",
            Self::InProgress => "in_progress",
            Self::Deferred { .. } => "deferred",
            Self::Infeasible { .. } => "infeasible",
            Self::Error { .. } => "error",
        }
    }
}

/// First report of this state for this generation of the pod?
fn first_report(ctx: &Context, pod: &Pod, state: &Pending, message: &str) -> bool {
    let uid = pod.uid().unwrap_or_default();
    let generation = pod.metadata.generation.unwrap_or(0);
    let entry = (state.label().to_owned(), message.to_owned(), generation);
    let mut st = ctx.state();
    if st.reported.get(&uid) == Some(&entry) {
        return false;
    }
    st.reported.insert(uid, entry);
    true
}

/// Act on `pod`'s pending resize, if any. Returns whether a new resize must wait.
pub async fn follow_up(ctx: &Context, pod: &Pod, now: f64) -> bool {
    let state = Pending::of(pod);
    match &state {
        Pending::Clear => false,
        Pending::InProgress => true,
        Pending::Error { message } => {
            if first_report(ctx, pod, &state, message) {
                ctx.metrics.resize(Outcome::Error, true);
                tracing::warn!(pod = %pods::key(pod), %message, "kubelet failed to actuate the resize");
            }
            // The kubelet keeps trying; a policy decision may still replace the target.
            false
        }
        Pending::Deferred { since, message } => {
            if first_report(ctx, pod, &state, message) {
                ctx.metrics.resize(Outcome::Deferred, true);
                let note = format!("kubelet deferred the resize: {message}");
                actuate::event(ctx, pod, Reason::ResizeDeferred, &note).await;
            }
            let waited = since.map_or(0.0, |s| now - s);
            let wait = ctx.settings.controller.resize_deferred_wait.as_secs_f64();
            let lowered_at = ctx
                .state()
                .deferred_lowered
                .get(&pod.uid().unwrap_or_default())
                .copied();
            let since_lowered = lowered_at.map_or(f64::INFINITY, |t| now - t);
            if waited >= wait && since_lowered >= wait {
                let why = format!(
                    "resize deferred for {waited:.0} s ({message}): lowered toward what fits"
                );
                lower(ctx, pod, &why, true).await;
                ctx.state()
                    .deferred_lowered
                    .insert(pod.uid().unwrap_or_default(), now);
            }
            true
        }
        Pending::Infeasible { message } => {
            if first_report(ctx, pod, &state, message) {
                ctx.metrics.resize(Outcome::Infeasible, true);
                let why = format!(
                    "the kubelet called the resize infeasible ({message}): set back to the actual values"
                );
                record_infeasible(ctx, pod);
                lower(ctx, pod, &why, false).await;
            }
            true
        }
    }
}

/// Remember the sizes the node could not hold.
fn record_infeasible(ctx: &Context, pod: &Pod) {
    let uid = pod.uid().unwrap_or_default();
    let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
    let (node_mem, _) = ctx.node_memory(node);
    let mut st = ctx.state();
    for (c, _) in pods::resizable_containers(pod) {
        let desired = rightsize_policy::resources::ContainerResources::from_container(c)
            .ok()
            .and_then(|r| r.memory.allocation());
        if let Some(d) = desired {
            st.infeasible.insert(
                (uid.clone(), c.name.clone()),
                (d.request, node_mem.unwrap_or(0.0)),
            );
        }
    }
}

/// Patch every container whose desired memory differs from the actual one toward the actual
/// one: halfway (`halfway` true, Deferred) or all the way (Infeasible).
async fn lower(ctx: &Context, pod: &Pod, why: &str, halfway: bool) {
    // Going back toward what the pod already has: a restart policy is no reason to hold back.
    let bounds = Bounds {
        allow_restart: true,
        ..crate::cycle::bounds(ctx, pod)
    };
    for (c, init) in pods::resizable_containers(pod) {
        let Some(actual) = pods::actual_memory(pod, c) else {
            continue;
        };
        let desired = rightsize_policy::resources::ContainerResources::from_container(c)
            .ok()
            .and_then(|r| r.memory.allocation());
        let Some(desired) = desired else { continue };
        if desired == actual {
            continue;
        }
        let target = if halfway {
            plan::halfway(actual, desired)
        } else {
            actual
        };
        let decision = Decision {
            allocation: target,
            reason: why.to_owned(),
        };
        if let Ok(p) = plan::plan(pod, c, init, &decision, bounds) {
            let reason = if halfway {
                Reason::ResizeDeferred
            } else {
                Reason::ResizeInfeasible
            };
            actuate::execute(ctx, pod, &p, reason, BTreeMap::new()).await;
        }
    }
}
