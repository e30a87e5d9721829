//! Scenarios of the simulated control plane and kubelet through kube-rs, one group a module, in
//! one test binary (each file directly in `tests/` is a binary of its own, linked separately:
//! build time on a 2-core machine): Deployment → ReplicaSet → Pods, the other workload kinds,
//! scheduling, in-place resize (applied, Deferred, Infeasible, rejected), OOM kills from usage
//! generators, and PodMetrics.

#[path = "../common/mod.rs"]
mod common;

/// Deployment → ReplicaSet → Pods, scale and template changes.
mod deployments;
/// StatefulSet, DaemonSet, Job, CronJob and PodDisruptionBudget.
mod kinds;
/// OOM kills and PodMetrics.
mod oom;
/// In-place resize: applied, Deferred, Infeasible, rejected.
mod resize;
/// The scheduler and a pod whose resize is Infeasible.
mod scheduling;
/// Pods, a cluster and the waits the scenarios share.
mod support;
