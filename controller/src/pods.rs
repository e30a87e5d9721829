//! What the controller reads from a Pod: whether it is managed (namespace opt-in, exclusions,
//! `rightsize.dev/mode`), its identity for the policy, its actual and desired memory, its
//! annotations (cooldown record, handled OOM kills, bounds), and its resize conditions. Pure
//! functions over k8s-openapi types, tested without a cluster.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod};
use kube::ResourceExt;
use rightsize_policy::quantity::Quantity;
use rightsize_policy::resources::{ContainerResources, PodResources};
use rightsize_policy::{Allocation, PodId};

/// Per pod or workload (on the pod template): `auto` (default), `initial` (admission only),
/// `recommend` (annotate, change nothing), `off` (DESIGN §1).
pub const MODE_ANNOTATION: &str = "rightsize.dev/mode";
/// When the controller last resized the pod (RFC 3339): the cooldown record, as the original
/// controller kept it, so that a restarted controller (or a new leader) keeps the cooldown.
pub const LAST_RESIZE_ANNOTATION: &str = "rightsize.dev/last-resize";
/// The recommendation in `recommend` mode and with RECOMMEND_ONLY: `<container>=<request>/<limit>`.
pub const RECOMMENDATION_ANNOTATION: &str = "rightsize.dev/recommendation";
/// OOM kills already acted on, `<container>=<restartCount>` (comma-separated): a new leader or a
/// restarted controller does not bump the same kill twice.
pub const OOM_HANDLED_ANNOTATION: &str = "rightsize.dev/oom-handled";
/// Bounds a person sets (quantities, DESIGN §1).
pub const MIN_MEMORY_ANNOTATION: &str = "rightsize.dev/min-memory";
pub const MAX_MEMORY_ANNOTATION: &str = "rightsize.dev/max-memory";

/// The pod's `rightsize.dev/mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Auto,
    Initial,
    Recommend,
    Off,
}

impl Mode {
    /// Unknown values count as `auto` (the default), as a typo must not silently opt a pod out.
    pub fn of(pod: &Pod) -> Self {
        match pod.annotations().get(MODE_ANNOTATION).map(|s| s.trim()) {
            Some("off") => Self::Off,
            Some("initial") => Self::Initial,
            Some("recommend") => Self::Recommend,
            _ => Self::Auto,
        }
    }
}

/// Which pods the controller manages.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Namespaces carrying the opt-in label (kept current by a namespace watch).
    pub enabled: HashSet<String>,
    /// Never managed (kube-system, the controller's own namespace, ...).
    pub excluded: Vec<String>,
}

impl Selection {
    /// The pod's mode if the controller looks at it at all (`off` and `initial` pods, pods of
    /// excluded or not opted-in namespaces, and pods not running are left alone).
    pub fn mode(&self, pod: &Pod) -> Option<Mode> {
        let ns = pod.namespace()?;
        if self.excluded.contains(&ns) || !self.enabled.contains(&ns) {
            return None;
        }
        match Mode::of(pod) {
            Mode::Off | Mode::Initial => None,
            m => Some(m),
        }
    }
}

/// `namespace/name`, for logs and maps.
pub fn key(pod: &Pod) -> String {
    format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name_any())
}

/// The policy's id of a pod: FNV-1a 64 of its UID (stable across controller restarts).
pub fn id(pod: &Pod) -> PodId {
    id_of_uid(&pod.uid().unwrap_or_else(|| key(pod)))
}

/// [`id`] from the UID alone.
pub fn id_of_uid(uid: &str) -> PodId {
    rightsize_policy::hash::fnv1a64(uid.as_bytes())
}

pub fn is_running(pod: &Pod) -> bool {
    phase(pod) == "Running"
}

pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

fn seconds(t: &k8s_openapi::jiff::Timestamp) -> f64 {
    t.as_millisecond() as f64 / 1000.0
}

/// When the cooldown clock of the pod started: its last resize (annotation) or its start.
pub fn clock_start(pod: &Pod) -> Option<f64> {
    let resized = pod
        .annotations()
        .get(LAST_RESIZE_ANNOTATION)
        .and_then(|v| v.parse::<k8s_openapi::jiff::Timestamp>().ok())
        .map(|t| seconds(&t));
    let started = pod
        .status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .or(pod.metadata.creation_timestamp.as_ref())
        .map(|t| seconds(&t.0));
    resized.or(started)
}

/// Containers and sidecar (restartable init) containers: the ones that can be resized
/// (KEP-1287 §Sidecars), with whether each is an init container.
pub fn resizable_containers(pod: &Pod) -> impl Iterator<Item = (&Container, bool)> {
    let spec = pod.spec.as_ref();
    let main = spec.into_iter().flat_map(|s| s.containers.iter());
    let sidecars = spec
        .and_then(|s| s.init_containers.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    main.map(|c| (c, false)).chain(sidecars.map(|c| (c, true)))
}

/// The status of container `name` (regular or init).
pub fn status_of<'a>(pod: &'a Pod, name: &str) -> Option<&'a ContainerStatus> {
    let st = pod.status.as_ref()?;
    st.container_statuses
        .iter()
        .chain(st.init_container_statuses.iter())
        .flatten()
        .find(|s| s.name == name)
}

/// The desired resources of the whole pod (spec), for QoS and the patch.
pub fn desired(pod: &Pod) -> Option<PodResources> {
    PodResources::from_spec(pod.spec.as_ref()?).ok()
}

/// The memory actually in force for container `name`: `status.containerStatuses[].resources`
/// (KEP-1287: "successfully enacted on the running container"), else the spec.
pub fn actual_memory(pod: &Pod, container: &Container) -> Option<Allocation> {
    let from_status = status_of(pod, &container.name)
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| ContainerResources::from_requirements(&container.name, Some(r)).ok())
        .and_then(|r| r.memory.allocation());
    from_status.or_else(|| {
        ContainerResources::from_container(container)
            .ok()?
            .memory
            .allocation()
    })
}

/// `resizePolicy` of memory is `RestartContainer`: resizing would restart the container.
pub fn memory_resize_restarts(container: &Container) -> bool {
    container
        .resize_policy
        .iter()
        .flatten()
        .any(|p| p.resource_name == "memory" && p.restart_policy == "RestartContainer")
}

/// `rightsize.dev/min-memory` and `max-memory` in bytes (unparseable values are ignored).
pub fn memory_bounds(pod: &Pod) -> (Option<f64>, Option<f64>) {
    let read = |k: &str| {
        pod.annotations()
            .get(k)
            .and_then(|v| Quantity::parse(v.trim()).ok())
            .map(|q| q.as_f64())
    };
    (read(MIN_MEMORY_ANNOTATION), read(MAX_MEMORY_ANNOTATION))
}

/// The pod's resize condition, if any: (`PodResizePending` or `PodResizeInProgress`, reason,
/// message, lastTransitionTime in seconds).
pub fn resize_condition<'a>(pod: &'a Pod, type_: &str) -> Option<(&'a str, &'a str, Option<f64>)> {
    let c = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_ && c.status == "True")?;
    Some((
        c.reason.as_deref().unwrap_or(""),
        c.message.as_deref().unwrap_or(""),
        c.last_transition_time.as_ref().map(|t| seconds(&t.0)),
    ))
}

/// Parse `a=1,b=2` annotations into a map.
pub fn parse_pairs(value: Option<&String>) -> BTreeMap<String, String> {
    value
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The inverse of [`parse_pairs`].
pub fn format_pairs(map: &BTreeMap<String, String>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A memory amount as people read it (`1260Mi`, `1536Mi`).
pub fn show(bytes: f64) -> String {
    Quantity::memory_from_f64(bytes, 1)
        .map(|q| q.to_string())
        .unwrap_or_else(|_| format!("{bytes}"))
}

#[cfg(test)]
mod tests;
