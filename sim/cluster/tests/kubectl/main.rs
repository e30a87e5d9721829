//! The real kubectl against the in-process simulated cluster, one scenario group a module. One
//! test binary for all of them (each file directly in `tests/` is a binary of its own, linked
//! separately: build time on a 2-core machine). Every test needs kubectl on PATH: it fails when
//! `CI` is set and kubectl is missing, and is skipped loudly otherwise
//! (`rightsize_sim_cluster::testing::kubectl::required`). The acceptance scenario against the
//! `rightsize-sim apiserver` binary is `sim/tests/apiserver_kubectl.rs`.

#[path = "../common/mod.rs"]
mod common;

use rightsize_sim_cluster::SimCluster;
use tempfile::TempDir;

/// What a kubectl scenario runs against: a started cluster and a scratch directory holding its
/// kubeconfig, which is also kubectl's `$HOME` (`testing::kubectl::run_in`).
async fn session() -> (SimCluster, TempDir) {
    let sim = common::start().await;
    let dir = tempfile::tempdir().unwrap();
    sim.write_kubeconfig(&dir.path().join("kubeconfig"))
        .unwrap();
    (sim, dir)
}

/// `kubectl apply -k` / `delete -k` of deploy/ and of a smaller kustomization.
mod apply;
/// What a new user sees: printers, `describe`, `top`, `explain`, `logs`.
mod fidelity;
/// The issue-12 kinds (LimitRange, ResourceQuota, PDB, StatefulSet, DaemonSet, Job, CronJob).
mod kinds;
/// ServiceAccounts, tokens, RBAC and `auth can-i`.
mod rbac;
/// `kubectl create service` and `get svc`.
mod services;
/// Typed create commands (protobuf bodies), `apply -f`, the 1 MiB ConfigMap limit.
mod typed_create;
