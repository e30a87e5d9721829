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
    ContainerResources, PodResources, QosClass, Resource, ResourcesError,
};
use rightsize_policy::{Admission, Allocation};

use super::bounds::{Limits, shape};
use super::context::AdmissionContext;
use super::pod_rules::{
    cap_to_node, check_node, check_pod_limit_range, check_qos, fit_each_to_qos,
};

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
    pub(crate) fn revert(&mut self, note: impl Into<String>) {
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
    cap_to_node(&mut plan, spec, bounds, ctx);
    fit_each_to_qos(&mut plan, &pod, qos, ctx);
    // Safety nets: each can only put declared sizes back.
    check_node(&mut plan, spec, ctx);
    check_qos(&mut plan, &pod, qos);
    check_pod_limit_range(&mut plan, spec, ctx);
    Ok(plan)
}

pub(crate) fn limits<'a>(
    resource: Resource,
    bounds: &'a Bounds,
    ctx: &'a AdmissionContext<'_>,
) -> Limits<'a> {
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
