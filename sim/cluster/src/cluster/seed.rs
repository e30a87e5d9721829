//! What every simulated cluster starts with, as a fresh kube-apiserver and its bootstrap
//! controllers create it: the initial namespaces (each with its `default` ServiceAccount), the
//! `kubernetes` Service, the bootstrap RBAC policy, and one Node per configured node. Separate
//! from the wiring (`cluster`) so the starting objects are listed in one place.

use serde_json::json;

use crate::resources;
use crate::state::Cluster;

/// Namespaces every cluster starts with.
const INITIAL_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// The `kubernetes` Service of the `default` namespace: the API server at the first address of
/// the service CIDR, as kube-apiserver's bootstrap controller creates it.
fn kubernetes_service() -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster"},
        "status": {"loadBalancer": {}}})
}

/// Create the initial namespaces (each with its `default` ServiceAccount), the `kubernetes`
/// Service, the bootstrap RBAC policy and the configured nodes.
pub(super) fn seed(cluster: &Cluster) {
    let ns_def = resources::by_storage("namespaces");
    for ns in INITIAL_NAMESPACES {
        let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns,
            "labels": {"kubernetes.io/metadata.name": ns}}, "status": {"phase": "Active"}});
        let _ = cluster.store.create(ns_def, obj);
        cluster.ensure_default_service_account(ns);
    }
    let _ = cluster
        .store
        .create(resources::by_storage("services"), kubernetes_service());
    for role in crate::auth::bootstrap::cluster_roles() {
        let _ = cluster
            .store
            .create(resources::by_storage("clusterroles"), role);
    }
    for binding in crate::auth::bootstrap::cluster_role_bindings() {
        let _ = cluster
            .store
            .create(resources::by_storage("clusterrolebindings"), binding);
    }
    let version = cluster.config.version.git_version();
    for (i, n) in cluster.config.nodes.iter().enumerate() {
        let _ = cluster.store.create(
            resources::by_storage("nodes"),
            crate::kubelet::node_object(n, i, &version),
        );
    }
}
