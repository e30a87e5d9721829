//! Turning a recommended request into a proposal the pod can take: scale the limit with the
//! request, then adjust the proposal so the pod keeps its QoS class (or say why it cannot).

use super::{ContainerResources, Field, PodResources, QosClass, QosError, RequestLimit, Resource};
use crate::quantity::{MIB, NANOS_PER_MILLI, NANOS_PER_UNIT, Quantity};

/// A Burstable pod whose proposal would make every request equal its limit (Guaranteed) gets the
/// changed memory limit raised by this much: one MiB is invisible to the workload and keeps the
/// value readable (`512Mi` → `513Mi`). Raising the limit, not lowering the request, never hands
/// out less than the policy asked for.
pub const MEMORY_QOS_SEPARATION_BYTES: i128 = MIB;

/// The same for cpu: one millicore, the smallest step the kubelet honours.
pub const CPU_QOS_SEPARATION_MILLIS: i128 = 1;

/// The request/limit pair for a new request, keeping the declared limit/request ratio:
/// - no limit declared → no limit set (the container stays unbounded, as its owner chose);
/// - limit only → the API server defaulted the request to the limit, so the ratio is 1;
/// - request 0 with a limit → no ratio exists: the declared limit stays, raised to the request;
/// - otherwise limit = new request × limit / request, rounded up to a MiB (memory, when the new
///   request is a whole number of MiB) or to a millicore (cpu), and never below the request.
pub fn scale_keeping_ratio(
    resource: Resource,
    declared: &RequestLimit,
    new_request: Quantity,
) -> RequestLimit {
    let Some(limit) = declared.limit else {
        return RequestLimit::new(Some(new_request), None);
    };
    let request = declared.request.unwrap_or(limit);
    if request.is_zero() {
        return RequestLimit::new(Some(new_request), Some(limit.max(new_request)));
    }
    let new = new_request.nanos();
    let scaled = mul_div_ceil(new, limit.nanos(), request.nanos());
    let grain = match resource {
        Resource::Memory if new % (MIB * NANOS_PER_UNIT) == 0 => MIB * NANOS_PER_UNIT,
        Resource::Memory if new % NANOS_PER_UNIT == 0 => NANOS_PER_UNIT,
        Resource::Cpu if new % NANOS_PER_MILLI == 0 => NANOS_PER_MILLI,
        _ => 1,
    };
    let limit_nanos = round_up(scaled, grain).max(new);
    RequestLimit::new(
        Some(new_request),
        Some(Quantity::from_nanos(limit_nanos, new_request.format())),
    )
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

/// Size one resource of one container: scale the declared pair to `new_request` keeping its
/// ratio, then fit the result to the pod's QoS class.
pub fn resize_container(
    pod: &PodResources,
    container: &str,
    resource: Resource,
    new_request: Quantity,
) -> Result<ContainerResources, QosError> {
    let mut proposed = *pod
        .container(container)
        .ok_or_else(|| QosError::UnknownContainer(container.to_owned()))?;
    let scaled = scale_keeping_ratio(resource, proposed.get(resource), new_request);
    *proposed.get_mut(resource) = scaled;
    fit_to_qos(pod, container, proposed)
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

/// ceil(a × b / c) for non-negative values, exact when it fits, else through f64 (saturating).
fn mul_div_ceil(a: i128, b: i128, c: i128) -> i128 {
    let g = gcd(b, c);
    let (b, c) = (b / g, c / g);
    match a.checked_mul(b) {
        Some(p) => p / c + i128::from(p % c != 0),
        None => (a as f64 * b as f64 / c as f64).ceil() as i128,
    }
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs().max(1)
}

/// `n` rounded up to a multiple of `grain`, saturating (absurd ratios must not panic).
fn round_up(n: i128, grain: i128) -> i128 {
    match n.rem_euclid(grain) {
        0 => n,
        rem => n.saturating_add(grain - rem),
    }
}
