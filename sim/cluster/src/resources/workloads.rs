//! The workload groups' rows: `apps/v1` (Deployment, ReplicaSet, StatefulSet, DaemonSet,
//! ControllerRevision) and `batch/v1` (Job, CronJob), in discovery order. Data only; lookups are
//! in the parent module. Names, short names and subresources as the real server's discovery
//! lists them (kubernetes `pkg/registry/apps/*/rest`, `pkg/registry/batch/*/rest`).

use super::{RW, ResourceDef};

/// The `apps/v1` kinds.
pub(super) static APPS: &[ResourceDef] = &[
    def!(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
        RW,
        &["status", "scale"],
        "deployments",
        &[]
    ),
    def!(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        &["rs"],
        RW,
        &["status", "scale"],
        "replicasets",
        &["status.replicas"]
    ),
    def!(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        &["sts"],
        RW,
        &["status", "scale"],
        "statefulsets",
        &[]
    ),
    def!(
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        &["ds"],
        RW,
        &["status"],
        "daemonsets",
        &[]
    ),
    def!(
        "apps",
        "v1",
        "controllerrevisions",
        "controllerrevision",
        "ControllerRevision",
        true,
        &[],
        RW,
        &[],
        "controllerrevisions",
        &[]
    ),
];

/// The `batch/v1` kinds.
pub(super) static BATCH: &[ResourceDef] = &[
    def!(
        "batch",
        "v1",
        "jobs",
        "job",
        "Job",
        true,
        &[],
        RW,
        &["status"],
        "jobs",
        &["status.successful"]
    ),
    def!(
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        true,
        &["cj"],
        RW,
        &["status"],
        "cronjobs",
        &[]
    ),
];
