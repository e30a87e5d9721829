//! The rules that look at the whole pod rather than one container: fit the largest node, keep
//! the QoS class, and the safety nets run last (node, QoS class, LimitRange `type: Pod`), each of
//! which can only put declared sizes back.

use k8s_openapi::api::core::v1::PodSpec;
use rightsize_policy::controls::Bounds;
use rightsize_policy::quantity::{Format, Quantity};
use rightsize_policy::resources::{
    ContainerResources, PodResources, QosClass, RequestLimit, Resource, fit_to_qos,
};

use super::bounds::{satisfies, shape};
use super::context::AdmissionContext;
use super::limits::Constraints;
use super::plan::{Plan, candidates, limits};

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
    Quantity::from_nanos(nanos, Format::DecimalSI)
}

/// Cut increases (last container first) until the pod's requests fit the largest node: a pod
/// no node can hold stays Pending forever. Decreases and declared sizes are left alone.
pub(crate) fn cap_to_node(
    plan: &mut Plan,
    spec: &PodSpec,
    bounds: &Bounds,
    ctx: &AdmissionContext<'_>,
) {
    let Some(node) = ctx.largest_node else {
        return;
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
}

/// After every later rule, the pod must still fit the largest node unless it did not before:
/// if not, every increase goes back to the declared size.
pub(crate) fn check_node(plan: &mut Plan, spec: &PodSpec, ctx: &AdmissionContext<'_>) {
    let Some(node) = ctx.largest_node else {
        return;
    };
    let declared = Plan {
        sized: Vec::new(),
        all: Vec::new(),
    };
    for resource in Resource::ALL {
        let Some(cap) = node.get(resource) else {
            continue;
        };
        let allowed = cap.max(pod_total(&declared, spec, resource, false));
        if pod_total(plan, spec, resource, false) <= allowed {
            continue;
        }
        for s in &mut plan.sized {
            if s.new.get(resource).request > s.old.get(resource).request {
                s.revert(format!(
                    "the pod would not fit the largest node ({cap} {resource} allocatable): declared size kept"
                ));
            }
        }
    }
}

/// Keep the pod's QoS class (KEP-1287 §QOS Class; `kubernetes-api-facts.md` §1.7): Guaranteed
/// stays Guaranteed, Burstable stays Burstable (a step added to a limit if every request would
/// equal its limit), BestEffort becomes Burstable only through memory requests. A container whose
/// change cannot keep the class (or then breaks the LimitRange) keeps its declared cpu, else its
/// declared size.
pub(crate) fn fit_each_to_qos(
    plan: &mut Plan,
    pod: &PodResources,
    qos: QosClass,
    ctx: &AdmissionContext<'_>,
) {
    let mut current = pod.clone();
    for s in &mut plan.sized {
        if s.new == s.old || qos == QosClass::BestEffort {
            if let Some(next) = current.with_container(&s.name, s.new) {
                current = next;
            }
            continue;
        }
        let memory_only = ContainerResources {
            cpu: s.old.cpu,
            ..s.new
        };
        let mut last_error = None;
        let fitted = [s.new, memory_only].into_iter().find_map(|proposal| {
            match fit_to_qos(&current, &s.name, proposal) {
                Ok(fitted) if valid(&fitted, ctx) => Some((fitted, proposal)),
                Ok(_) => None,
                Err(e) => {
                    last_error = Some(e);
                    None
                }
            }
        });
        match fitted {
            Some((fitted, proposal)) => {
                if proposal != s.new {
                    s.notes.push(format!(
                        "cpu kept to keep the pod {qos} within the LimitRange"
                    ));
                }
                if fitted != proposal {
                    s.notes
                        .push(format!("limit adjusted to keep the pod {qos}"));
                }
                s.new = fitted;
            }
            None => match last_error {
                Some(e) => s.revert(format!("{e}: declared size kept")),
                None => s.revert(format!(
                    "keeping the pod {qos} would break the LimitRange: declared size kept"
                )),
            },
        }
        if let Some(next) = current.with_container(&s.name, s.new) {
            current = next;
        }
    }
}

/// The pod's class after the plan is the declared one (or Burstable for a BestEffort pod);
/// otherwise nothing changes.
pub(crate) fn check_qos(plan: &mut Plan, pod: &PodResources, qos: QosClass) {
    let mut current = pod.clone();
    for s in &plan.sized {
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
pub(crate) fn check_pod_limit_range(plan: &mut Plan, spec: &PodSpec, ctx: &AdmissionContext<'_>) {
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
            RequestLimit::new(
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
}
