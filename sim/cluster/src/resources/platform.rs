//! The rows of the groups that serve one or two kinds around the workloads: `events.k8s.io`
//! (Events, stored with the core ones), `coordination.k8s.io` (Leases), `policy`
//! (PodDisruptionBudgets), `admissionregistration.k8s.io` (mutating webhook configurations) and
//! the read-only, computed `metrics.k8s.io` (PodMetrics, NodeMetrics). Data only; lookups are in
//! the parent module.

use super::core_v1::EVENT_FIELDS;
use super::{RO, RW, ResourceDef};

/// `events.k8s.io/v1` Events: the core Events' storage and field labels, as in Kubernetes.
pub(super) static EVENTS: &[ResourceDef] = &[def!(
    "events.k8s.io",
    "v1",
    "events",
    "event",
    "Event",
    true,
    &["ev"],
    RW,
    &[],
    "events",
    EVENT_FIELDS
)];

/// `coordination.k8s.io/v1` Leases (leader election).
pub(super) static COORDINATION: &[ResourceDef] = &[def!(
    "coordination.k8s.io",
    "v1",
    "leases",
    "lease",
    "Lease",
    true,
    &[],
    RW,
    &[],
    "leases",
    &[]
)];

/// `policy/v1` PodDisruptionBudgets.
pub(super) static POLICY: &[ResourceDef] = &[def!(
    "policy",
    "v1",
    "poddisruptionbudgets",
    "poddisruptionbudget",
    "PodDisruptionBudget",
    true,
    &["pdb"],
    RW,
    &["status"],
    "poddisruptionbudgets",
    &[]
)];

/// `admissionregistration.k8s.io/v1` MutatingWebhookConfigurations.
pub(super) static ADMISSION_REGISTRATION: &[ResourceDef] = &[def!(
    "admissionregistration.k8s.io",
    "v1",
    "mutatingwebhookconfigurations",
    "mutatingwebhookconfiguration",
    "MutatingWebhookConfiguration",
    false,
    &[],
    RW,
    &[],
    "mutatingwebhookconfigurations",
    &[]
)];

/// `metrics.k8s.io/v1beta1`: computed from the usage the kubelet publishes, never stored.
pub(super) static METRICS: &[ResourceDef] = &[
    def!(
        "metrics.k8s.io",
        "v1beta1",
        "pods",
        "",
        "PodMetrics",
        true,
        &[],
        RO,
        &[],
        "podmetrics",
        &[]
    ),
    def!(
        "metrics.k8s.io",
        "v1beta1",
        "nodes",
        "",
        "NodeMetrics",
        false,
        &[],
        RO,
        &[],
        "nodemetrics",
        &[]
    ),
];
