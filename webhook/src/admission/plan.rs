//! The sizing decision for one pod: which containers are sized, to what, and why. Pure: the
//! review's pod, the workload's history and the context in, a [`Plan`] out.
//!
//! Which containers: the regular containers and the sidecars (init containers with
//! `restartPolicy: Always`, KEP-753) whose name has a profile. Sidecars run for the pod's whole
//! life like the app, and are resizable in place (KEP-1287 §Sidecars), so they are sized the same
//! way. Plain init containers are never changed: they run to completion before the app starts,
//! cannot be resized in place, and the controller learns no steady usage from them.
//!
//! Order of the rules, each able only to narrow what the previous one chose:
//! policy → pod annotations → configured bounds → limit at the declared ratio → LimitRange per
//! container → largest node's allocatable → the pod's QoS class → LimitRange per pod.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use rightsize_history::WorkloadHistory;
use rightsize_policy::controls::Bounds;
use rightsize_policy::profile::UsageProfile;
use rightsize_policy::quantity::{MIB, Quantity};
use rightsize_policy::resources::{
    ContainerResources, PodResources, QosClass, Resource, ResourcesError, fit_to_qos,
};
use rightsize_policy::{Admission, Allocation};

use super::bounds::{Limits, satisfies, shape};
use super::context::AdmissionContext;
use super::limits::Constraints;

/// Opaque pod id for the policy: admission sees each pod once, and keeps no per-pod state.
const ADMISSION_POD_ID: u64 = 0;

/// Init container `restartPolicy` that makes it a sidecar (KEP-753).
const SIDECAR_RESTART_POLICY: &str = "Always";

/// Where a container sits in the pod spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Container(usize),
    Sidecar(usize),
}

/// One container admission looked at: its declared and new resources, the rule that decided and
/// what narrowed it.
#[derive(Clone, Debug)]
pub(crate) struct Sized {
    pub slot: Slot,
    pub name: String,
    pub old: ContainerResources,
    pub new: ContainerResources,
    pub rule: String,
    pub notes: Vec<String>,
}

impl Sized {
    fn revert(&mut self, note: impl Into<String>) {
        self.new = self.old;
        self.notes.push(note.into());
    }
}

/// The decision for a pod.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// The containers that have a profile and were not handled before.
    pub sized: Vec<Sized>,
    /// Every container and sidecar of the pod (handled now or before).
    pub all: Vec<String>,
}

/// Why a pod cannot be sized at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {
    #[error("{0}: pod admitted unchanged")]
    Resources(#[from] ResourcesError),
    #[error("pod sets pod-level resources (spec.resources), which rightsize does not size")]
    PodLevel,
}

/// The regular containers and the sidecars, in spec order.
pub(crate) fn candidates(spec: &PodSpec) -> impl Iterator<Item = (Slot, &Container)> {
    let regular = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (Slot::Container(i), c));
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, c)| c.restart_policy.as_deref() == Some(SIDECAR_RESTART_POLICY))
        .map(|(i, c)| (Slot::Sidecar(i), c));
    regular.chain(sidecars)
}

/// Size the pod's containers that have a profile in `history` and are not in `done`.
pub(crate) fn plan(
    spec: &PodSpec,
    history: &WorkloadHistory,
    bounds: &Bounds,
    ctx: &AdmissionContext<'_>,
    done: &BTreeSet<&str>,
) -> Result<Plan, PlanError> {
    let pod = PodResources::from_spec(spec)?;
    if pod.pod_level.is_some() {
        return Err(PlanError::PodLevel);
    }
    let qos = pod.qos();
    let mut sized = Vec::new();
    for (slot, container) in candidates(spec) {
        if done.contains(container.name.as_str()) {
            continue;
        }
        let Some(profile) = history.container(&container.name) else {
            continue;
        };
        let old = ContainerResources::from_container(container)?;
        sized.push(size_one(
            slot,
            &container.name,
            old,
            profile,
            bounds,
            ctx,
            qos,
        ));
    }
    let all = candidates(spec).map(|(_, c)| c.name.clone()).collect();
    let mut plan = Plan { sized, all };
    cap_to_node(&mut plan, spec, bounds, ctx)?;
    keep_qos(&mut plan, &pod, qos, ctx);
    check_pod_limit_range(&mut plan, spec, ctx)?;
    Ok(plan)
}

fn limits<'a>(resource: Resource, bounds: &'a Bounds, ctx: &'a AdmissionContext<'_>) -> Limits<'a> {
    Limits {
        pod: bounds,
        configured: &ctx.config.bounds,
        limit_range: ctx.limit_range.container(resource),
    }
}

/// The policy's answer for one container, within bounds and LimitRange.
fn size_one(
    slot: Slot,
    name: &str,
    old: ContainerResources,
    profile: &UsageProfile,
    bounds: &Bounds,
    ctx: &AdmissionContext<'_>,
    qos: QosClass,
) -> Sized {
    let mut sized = Sized {
        slot,
        name: name.to_owned(),
        old,
        new: old,
        rule: String::new(),
        notes: Vec::new(),
    };
    let mut policy = ctx.config.policy.build(profile);
    let declared = match (old.memory.request, old.memory.limit) {
        (Some(r), Some(l)) => Allocation {
            request: r.as_f64(),
            limit: l.as_f64(),
        },
        // No limit: the recommendation becomes the request (ratio 1).
        (r, _) => Allocation::equal(r.map_or(0.0, |r| r.as_f64())),
    };
    let decision = match policy.admit(ADMISSION_POD_ID, declared, ctx.now) {
        Admission::Declared => {
            sized.rule = "the policy keeps the declared size".into();
            return sized;
        }
        Admission::Sized(decision) => decision,
    };
    sized.rule = decision.reason;
    let target = match Quantity::memory_from_f64(decision.allocation.request, MIB as u64) {
        Ok(target) => target,
        Err(e) => {
            sized.revert(format!("unusable recommendation ({e}): declared size kept"));
            return sized;
        }
    };
    let notes = &mut sized.notes;
    let memory = limits(Resource::Memory, bounds, ctx);
    sized.new.memory =
        shape(Resource::Memory, &old.memory, target, &memory, notes).unwrap_or(old.memory);
    if let Some(request) = old.cpu.request {
        let cpu = limits(Resource::Cpu, bounds, ctx);
        sized.new.cpu = shape(Resource::Cpu, &old.cpu, request, &cpu, notes).unwrap_or(old.cpu);
    }
    if qos == QosClass::BestEffort {
        // VPA gives a BestEffort pod requests only; it becomes Burstable. Never a limit, and
        // no cpu: rightsize has no cpu history to base one on.
        sized.new.memory.limit = None;
        sized.new.cpu = old.cpu;
        notes.push("BestEffort pod: memory request only, the pod becomes Burstable".into());
    } else if old.memory.limit.is_none() {
        notes.push("no memory limit declared: request only".into());
    } else if let (Some(r), Some(l)) = (old.memory.request, old.memory.limit)
        && r != l
        && !r.is_zero()
    {
        notes.push("declared limit/request ratio kept".into());
    }
    sized
}

/// The sum of `resource` requests over containers and sidecars, with the plan's new values.
fn pod_total(plan: &Plan, spec: &PodSpec, resource: Resource, limit: bool) -> Quantity {
    let nanos = candidates(spec)
        .map(|(slot, c)| {
            let rl = match plan.sized.iter().find(|s| s.slot == slot) {
                Some(s) => *s.new.get(resource),
                None => *ContainerResources::from_container(c)
                    .unwrap_or_default()
                    .get(resource),
            };
            let v = if limit { rl.limit } else { rl.request };
            v.map_or(0, |q| q.nanos())
        })
        .fold(0i128, i128::saturating_add);
    Quantity::from_nanos(nanos, rightsize_policy::quantity::Format::DecimalSI)
}

/// Cut increases (last container first) until the pod's requests fit the largest node: a pod
/// no node can hold stays Pending forever. Decreases and declared sizes are left alone.
fn cap_to_node(
    plan: &mut Plan,
    spec: &PodSpec,
    bounds: &Bounds,
    ctx: &AdmissionContext<'_>,
) -> Result<(), PlanError> {
    let Some(node) = ctx.largest_node else {
        return Ok(());
    };
    for resource in Resource::ALL {
        let Some(cap) = node.get(resource) else {
            continue;
        };
        let mut excess = pod_total(plan, spec, resource, false).nanos() - cap.nanos();
        for i in (0..plan.sized.len()).rev() {
            if excess <= 0 {
                break;
            }
            let s = &mut plan.sized[i];
            let (old, new) = (s.old.get(resource).request, s.new.get(resource).request);
            let (Some(new), old_nanos) = (new, old.map_or(0, |q| q.nanos())) else {
                continue;
            };
            let increase = new.nanos() - old_nanos;
            if increase <= 0 {
                continue;
            }
            let target = Quantity::from_nanos(new.nanos() - increase.min(excess), new.format());
            let note = format!("capped so the pod fits the largest node ({cap} allocatable)");
            let declared = *s.old.get(resource);
            let shaped = shape(
                resource,
                &declared,
                target,
                &limits(resource, bounds, ctx),
                &mut s.notes,
            )
            .filter(|p| p.request.is_some_and(|r| r <= target));
            match shaped {
                Some(pair) => {
                    *s.new.get_mut(resource) = pair;
                    s.notes.push(note);
                }
                None => *s.new.get_mut(resource) = declared,
            }
            let now = s.new.get(resource).request.map_or(0, |q| q.nanos());
            excess -= new.nanos() - now;
        }
    }
    Ok(())
}

/// Keep the pod's QoS class (KEP-1287 §QOS Class; `kubernetes-api-facts.md` §1.7): Guaranteed
/// stays Guaranteed, Burstable stays Burstable (a step added to a limit if every request would
/// equal its limit), BestEffort becomes Burstable only through memory requests. A container whose
/// change cannot keep the class keeps its declared size; if the pod's class still moved, nothing
/// is changed.
fn keep_qos(plan: &mut Plan, pod: &PodResources, qos: QosClass, ctx: &AdmissionContext<'_>) {
    let mut current = pod.clone();
    for s in &mut plan.sized {
        if s.new == s.old {
            continue;
        }
        if qos != QosClass::BestEffort {
            match fit_to_qos(&current, &s.name, s.new) {
                Ok(fitted) if valid(&fitted, ctx) => {
                    if fitted != s.new {
                        s.notes
                            .push(format!("limit adjusted to keep the pod {qos}"));
                    }
                    s.new = fitted;
                }
                Ok(_) => s.revert(format!(
                    "keeping the pod {qos} would break the LimitRange: declared size kept"
                )),
                Err(e) => s.revert(format!("{e}: declared size kept")),
            }
        }
        if let Some(next) = current.with_container(&s.name, s.new) {
            current = next;
        }
    }
    let after = current.qos();
    let allowed = after == qos || (qos == QosClass::BestEffort && after == QosClass::Burstable);
    if !allowed {
        for s in &mut plan.sized {
            s.revert(format!(
                "the pod would turn from {qos} into {after}: declared size kept"
            ));
        }
    }
}

fn valid(c: &ContainerResources, ctx: &AdmissionContext<'_>) -> bool {
    Resource::ALL
        .into_iter()
        .all(|r| satisfies(c.get(r), ctx.limit_range.container(r)))
}

/// LimitRange `type: Pod` bounds the sums over the pod's containers; a plan that breaks one the
/// declared pod kept is dropped whole.
fn check_pod_limit_range(
    plan: &mut Plan,
    spec: &PodSpec,
    ctx: &AdmissionContext<'_>,
) -> Result<(), PlanError> {
    let declared = Plan {
        sized: Vec::new(),
        all: Vec::new(),
    };
    for resource in Resource::ALL {
        let c: &Constraints = ctx.limit_range.pod(resource);
        if c.is_empty() {
            continue;
        }
        let sums = |p: &Plan| {
            rightsize_policy::resources::RequestLimit::new(
                Some(pod_total(p, spec, resource, false)),
                Some(pod_total(p, spec, resource, true)).filter(|l| !l.is_zero()),
            )
        };
        if !satisfies(&sums(plan), c) && satisfies(&sums(&declared), c) {
            for s in &mut plan.sized {
                s.revert(format!(
                    "the pod's {resource} would break the LimitRange for pods: declared size kept"
                ));
            }
        }
    }
    Ok(())
}
