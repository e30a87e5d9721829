//! Turning a sizing decision into a proposal the pod can take: quantities from the decided
//! request and limit, then adjusted so the pod keeps its QoS class (or say why it cannot).

use super::{ContainerResources, Field, PodResources, QosClass, QosError, RequestLimit, Resource};
use crate::policy::Allocation;
use crate::quantity::{MIB, NANOS_PER_MILLI, NANOS_PER_UNIT, Quantity, QuantityError};

/// A Burstable pod whose proposal would make every request equal its limit (Guaranteed) gets the
/// changed memory limit raised by this much: one MiB is invisible to the workload and keeps the
/// value readable (`512Mi` → `513Mi`). Raising the limit, not lowering the request, never hands
/// out less than the policy asked for.
pub const MEMORY_QOS_SEPARATION_BYTES: i128 = MIB;

/// The same for cpu: one millicore, the smallest step the kubelet honours.
pub const CPU_QOS_SEPARATION_MILLIS: i128 = 1;

/// The request/limit pair standing for `target` (base units: bytes for memory, cores for cpu),
/// given what the container declares:
/// - no limit declared → no limit set (the container stays unbounded, as its owner chose);
/// - otherwise the target's limit, never below its request;
/// - amounts are rounded UP (a decision never hands out less than it computed): memory to a whole
///   MiB (readable values, `1260Mi`), cpu to a millicore (the smallest step the kubelet honours).
///
/// The ratio between request and limit is the policy's business ([`Allocation::with_request`],
/// [`Allocation::with_limit`] keep the declared one); this function only turns numbers into
/// quantities, so there is one road from a decision to a resource value.
fn target_pair(
    resource: Resource,
    declared: &RequestLimit,
    target: Allocation,
) -> Result<RequestLimit, QuantityError> {
    let amount = |v: f64| match resource {
        Resource::Memory => Quantity::memory_from_f64(v, MIB as u64),
        Resource::Cpu => Quantity::cpu_from_f64(v),
    };
    let request = amount(target.request)?;
    let limit = match declared.limit {
        None => None,
        Some(_) => Some(amount(target.limit)?.max(request)),
    };
    Ok(RequestLimit::new(Some(request), limit))
}

/// THE function that turns a sizing decision into a container's new resources (the
/// controller's resize patch; the webhook's admission patch): set `resource` of `container` to
/// `target` ([`target_pair`]: rounding, unbounded limits stay unbounded), leave the other
/// resource as declared, then fit the result to the pod's QoS class ([`fit_to_qos`]).
///
/// A caller holding only a new request keeps the declared ratio with
/// `RequestLimit::allocation(..).with_request(new)`.
pub fn resize_container(
    pod: &PodResources,
    container: &str,
    resource: Resource,
    target: Allocation,
) -> Result<ContainerResources, QosError> {
    let mut proposed = *pod
        .container(container)
        .ok_or_else(|| QosError::UnknownContainer(container.to_owned()))?;
    let pair = target_pair(resource, proposed.get(resource), target).map_err(|source| {
        QosError::InvalidTarget {
            container: container.to_owned(),
            resource,
            source,
        }
    })?;
    *proposed.get_mut(resource) = pair;
    fit_to_qos(pod, container, proposed)
}

/// Adjust a proposal for `container` so the pod keeps its QoS class, or say why it cannot:
/// - BestEffort pods are never given requests or limits ([`QosError::BestEffortPod`]);
/// - Guaranteed pods keep request = limit for cpu and memory: both become the larger of the two
///   (the safe side against OOM kills);
/// - Burstable pods must not become Guaranteed by accident: if the proposal would make every
///   request equal its limit, the changed limit is raised by [`MEMORY_QOS_SEPARATION_BYTES`] or
///   [`CPU_QOS_SEPARATION_MILLIS`].
///
/// Also: a request above its limit raises the limit (validation requires request ≤ limit), and a
/// request or limit that is set cannot be removed (KEP-1287; resize validation).
pub fn fit_to_qos(
    pod: &PodResources,
    container: &str,
    mut proposed: ContainerResources,
) -> Result<ContainerResources, QosError> {
    if pod.pod_level.is_some() {
        return Err(QosError::PodLevelResources);
    }
    let current = *pod
        .container(container)
        .ok_or_else(|| QosError::UnknownContainer(container.to_owned()))?;
    for resource in Resource::ALL {
        let rl = proposed.get_mut(resource);
        if let (Some(r), Some(l)) = (rl.request, rl.limit)
            && r > l
        {
            rl.limit = Some(r);
        }
    }
    let before = pod.qos();
    match before {
        QosClass::BestEffort => {
            let adds_any = Resource::ALL
                .iter()
                .any(|&r| proposed.get(r).class() != QosClass::BestEffort);
            if adds_any {
                return Err(QosError::BestEffortPod);
            }
        }
        QosClass::Guaranteed => {
            for resource in Resource::ALL {
                let rl = proposed.get_mut(resource);
                let value =
                    rl.request
                        .max(rl.limit)
                        .ok_or_else(|| QosError::IncompleteGuaranteed {
                            container: container.to_owned(),
                            resource,
                        })?;
                *rl = RequestLimit::new(Some(value), Some(value));
            }
        }
        QosClass::Burstable => {
            if qos_with(pod, container, proposed) == QosClass::Guaranteed {
                separate(&current, &mut proposed);
            }
        }
    }
    for resource in Resource::ALL {
        for field in [Field::Request, Field::Limit] {
            let was_set = current.get(resource).field(field).is_some();
            if was_set && proposed.get(resource).field(field).is_none() {
                return Err(QosError::WouldRemove {
                    container: container.to_owned(),
                    resource,
                    field,
                });
            }
        }
    }
    let after = qos_with(pod, container, proposed);
    if after != before {
        return Err(QosError::ClassChange {
            from: before,
            to: after,
        });
    }
    Ok(proposed)
}

fn qos_with(pod: &PodResources, container: &str, proposed: ContainerResources) -> QosClass {
    pod.with_container(container, proposed)
        .map_or(QosClass::BestEffort, |p| p.qos())
}

/// Break request = limit in one resource of `proposed`: the one the proposal changed (memory
/// first), else memory.
fn separate(current: &ContainerResources, proposed: &mut ContainerResources) {
    let changed = Resource::ALL.into_iter().find(|&r| {
        proposed.get(r) != current.get(r) && proposed.get(r).class() == QosClass::Guaranteed
    });
    let resource = changed.unwrap_or(Resource::Memory);
    let step = match resource {
        Resource::Memory => MEMORY_QOS_SEPARATION_BYTES * NANOS_PER_UNIT,
        Resource::Cpu => CPU_QOS_SEPARATION_MILLIS * NANOS_PER_MILLI,
    };
    let rl = proposed.get_mut(resource);
    if let Some(limit) = rl.limit {
        rl.limit = Some(Quantity::from_nanos(limit.nanos() + step, limit.format()));
    }
}
