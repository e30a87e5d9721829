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
/// - amounts are rounded UP (a decision never hands out less than it computed): the request to a
///   whole byte or millicore, the limit to a whole MiB when the request is one (readable values,
///   `512Mi` → `1Gi`), else to a byte or millicore. Amounts beyond what a quantity holds saturate.
///
/// The ratio between request and limit is the policy's business ([`Allocation::with_request`],
/// [`Allocation::with_limit`] keep the declared one); this function only turns numbers into
/// quantities, so there is one road from a decision to a resource value.
fn target_pair(
    resource: Resource,
    declared: &RequestLimit,
    target: Allocation,
) -> Result<RequestLimit, QuantityError> {
    // f64 products such as 0.3 x 1000 land a hair above the whole number they stand for.
    const SLACK: f64 = 1e-6;
    let invalid = |v: f64| QuantityError {
        input: v.to_string(),
        kind: crate::quantity::QuantityErrorKind::OutOfRange,
    };
    let units = |v: f64, per_unit: f64| -> Result<i128, QuantityError> {
        if !v.is_finite() || v < 0.0 {
            return Err(invalid(v));
        }
        Ok(((v * per_unit - SLACK).ceil().max(0.0) as i128).min(i64::MAX as i128))
    };
    let (request, limit) = match resource {
        Resource::Memory => {
            let r = units(target.request, 1.0)?;
            let grain = if r % MIB == 0 { MIB } else { 1 };
            let l = units(target.limit, 1.0)?;
            let l = round_up(l, grain).max(r);
            (Quantity::from_bytes(r), Quantity::from_bytes(l))
        }
        Resource::Cpu => {
            let r = units(target.request, 1000.0)?;
            let l = units(target.limit, 1000.0)?.max(r);
            (Quantity::from_millis(r), Quantity::from_millis(l))
        }
    };
    Ok(RequestLimit::new(
        Some(request),
        declared.limit.map(|_| limit),
    ))
}

/// The pair for a new request keeping the declared limit/request ratio (the webhook's road to
/// the same [`target_pair`]): no limit declared → none set; limit only → ratio 1 (the API server
/// defaulted the request to it); request 0 with a limit → no ratio exists, the declared limit
/// stays, raised to the request.
pub fn scale_keeping_ratio(
    resource: Resource,
    declared: &RequestLimit,
    new_request: Quantity,
) -> RequestLimit {
    let new = new_request.as_f64();
    let target = match declared.allocation() {
        Some(a) if a.request > 0.0 => a.with_request(new),
        Some(a) => Allocation {
            request: new,
            limit: a.limit.max(new),
        },
        None => Allocation::equal(new),
    };
    target_pair(resource, declared, target).unwrap_or(RequestLimit::new(
        Some(new_request),
        declared.limit.map(|l| l.max(new_request)),
    ))
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

/// `n` rounded up to a multiple of `grain`, saturating.
fn round_up(n: i128, grain: i128) -> i128 {
    match n.rem_euclid(grain) {
        0 => n,
        rem => n.saturating_add(grain - rem),
    }
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
