//! From a policy decision to the resize the controller sends (or only recommends), with every
//! rule that bounds it. Pure: tested without a cluster.
//!
//! Bounds, in order: the pod's `rightsize.dev/min-memory`/`max-memory`; never above the largest
//! node's allocatable (no node could run it: the kubelet would call it Infeasible); on
//! Kubernetes 1.33 no memory-limit decrease (API validation forbids it unless the memory
//! resizePolicy is RestartContainer, PR #130183) and a limit raised only as far as the pod's
//! node can hold, since it cannot be taken back. Then the one road of the policy crate
//! (`resources::resize_container`) turns the target into quantities and keeps the QoS class.

use k8s_openapi::api::core::v1::{Container, Pod};
use rightsize_policy::resources::{ContainerResources, QosError, Resource, resize_container};
use rightsize_policy::seed::MIB;
use rightsize_policy::{Allocation, Decision};
use serde_json::{Value, json};

use crate::pods;

/// What bounds a resize besides the pod itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds {
    /// Largest allocatable memory of any node (bytes).
    pub largest_node: Option<f64>,
    /// Allocatable memory of the pod's node (bytes).
    pub pod_node: Option<f64>,
    /// The API server's minor version (33, 34, ...).
    pub minor: u32,
    /// `ALLOW_RESTART_RESIZE`.
    pub allow_restart: bool,
}

/// What to do with a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send the resize.
    Resize,
    /// Only annotate and publish a Recommendation (why, in words).
    Recommend(&'static str),
}

/// A resize of one container's memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub container: String,
    pub init: bool,
    /// Desired (spec) memory before and after.
    pub before: ContainerResources,
    pub after: ContainerResources,
    pub reason: String,
    pub action: Action,
}

impl Plan {
    pub fn is_up(&self) -> bool {
        self.after.memory.request > self.before.memory.request
            || self.after.memory.limit > self.before.memory.limit
    }

    fn show(r: &ContainerResources) -> String {
        let q = |v: Option<rightsize_policy::quantity::Quantity>| {
            v.map_or_else(|| "none".to_owned(), |q| q.to_string())
        };
        format!(
            "request {}, limit {}",
            q(r.memory.request),
            q(r.memory.limit)
        )
    }

    /// "container app memory: request 512Mi, limit 1Gi -> request 640Mi, limit 1280Mi (usage grew)".
    pub fn describe(&self) -> String {
        format!(
            "container {} memory: {} -> {} ({})",
            self.container,
            Self::show(&self.before),
            Self::show(&self.after),
            self.reason
        )
    }

    /// The strategic-merge body of `PATCH pods/{name}/resize`: only this container's memory.
    pub fn patch_body(&self) -> Value {
        let mut resources = json!({});
        if let Some(r) = self.after.memory.request {
            resources["requests"] = json!({"memory": r.to_string()});
        }
        if let Some(l) = self.after.memory.limit {
            resources["limits"] = json!({"memory": l.to_string()});
        }
        let list = if self.init {
            "initContainers"
        } else {
            "containers"
        };
        json!({"spec": {list: [{"name": self.container, "resources": resources}]}})
    }
}

/// Why a decision gives no plan.
#[derive(Debug, PartialEq)]
pub enum NoPlan {
    /// Nothing changes once bounded and rounded.
    Unchanged,
    /// The pod's QoS class (or its shape) does not allow it.
    Qos(QosError),
    /// The pod spec could not be read.
    Unreadable,
}

/// Bound `decision` for `container` of `pod` and turn it into a [`Plan`].
pub fn plan(
    pod: &Pod,
    container: &Container,
    init: bool,
    decision: &Decision,
    bounds: Bounds,
) -> Result<Plan, NoPlan> {
    let desired = pods::desired(pod).ok_or(NoPlan::Unreadable)?;
    let before = *desired
        .container(&container.name)
        .ok_or(NoPlan::Unreadable)?;
    let mut target = decision.allocation;
    let (min, max) = pods::memory_bounds(pod);
    if let Some(min) = min {
        target.request = target.request.max(min);
        target.limit = target.limit.max(min);
    }
    let mut cap = [max, bounds.largest_node]
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
    let restarts = pods::memory_resize_restarts(container);
    let current_limit = before.memory.limit.map(|q| q.as_f64());
    // 1.33: a limit can only grow, so grow it only as far as this node can hold.
    let keep_limit = current_limit.filter(|_| bounds.minor == 33 && !restarts);
    if let Some(cur) = keep_limit
        && target.limit > cur
        && let Some(node) = bounds.pod_node
    {
        cap = cap.min(node.max(cur));
    }
    if let Some(cur) = keep_limit {
        target.limit = target.limit.max(cur);
    }
    target.limit = target.limit.min(cap);
    target.request = target.request.min(cap).min(target.limit);
    if let Some(cur) = keep_limit {
        target.limit = target.limit.max(cur);
    }
    // Whole MiB: readable values (`1260Mi`), never less than decided.
    let mib = |v: f64| (v / MIB).ceil() * MIB;
    target = Allocation {
        request: mib(target.request),
        limit: mib(target.limit),
    };
    let after = resize_container(&desired, &container.name, Resource::Memory, target)
        .map_err(NoPlan::Qos)?;
    if after.memory == before.memory {
        return Err(NoPlan::Unchanged);
    }
    let action = if restarts && !bounds.allow_restart {
        Action::Recommend(
            "the memory resizePolicy is RestartContainer: resizing would restart the container (set ALLOW_RESTART_RESIZE=true to allow)",
        )
    } else {
        Action::Resize
    };
    Ok(Plan {
        container: container.name.clone(),
        init,
        before,
        after,
        reason: decision.reason.clone(),
        action,
    })
}

/// The allocation halfway from `actual` to `desired` (a Deferred resize lowered toward what
/// fits), or `actual` itself once the step is under a MiB.
pub fn halfway(actual: Allocation, desired: Allocation) -> Allocation {
    let mid = Allocation {
        request: actual.request + (desired.request - actual.request) / 2.0,
        limit: actual.limit + (desired.limit - actual.limit) / 2.0,
    };
    if (desired.request - actual.request).abs() < 2.0 * MIB {
        actual
    } else {
        mid
    }
}

#[cfg(test)]
mod tests;
