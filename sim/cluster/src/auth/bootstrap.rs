//! The default ClusterRoles and ClusterRoleBindings a real API server creates at start
//! (kubernetes `plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`,
//! `ClusterRoles()` and `ClusterRoleBindings()`), restricted to those that matter to a
//! ServiceAccount here: discovery and health paths for every authenticated user
//! (`system:discovery`, `system:public-info-viewer`), self access reviews (`system:basic-user`),
//! and `cluster-admin` for `system:masters`. The aggregated roles (`admin`, `edit`, `view`) are
//! not served.

use serde_json::{Value, json};

use super::GROUP_AUTHENTICATED;

/// `user.AllUnauthenticated`.
const GROUP_UNAUTHENTICATED: &str = "system:unauthenticated";
/// `user.SystemPrivilegedGroup`.
const GROUP_MASTERS: &str = "system:masters";

fn metadata(name: &str) -> Value {
    json!({"name": name,
        "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
        "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}})
}

fn role(name: &str, rules: Value) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": metadata(name), "rules": rules})
}

fn binding(name: &str, groups: &[&str]) -> Value {
    let subjects: Vec<Value> = groups
        .iter()
        .map(|g| json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g}))
        .collect();
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": metadata(name),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": subjects})
}

/// The bootstrap ClusterRoles.
pub fn cluster_roles() -> Vec<Value> {
    vec![
        role(
            "cluster-admin",
            json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
        ),
        role(
            "system:discovery",
            json!([{"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz",
                "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"],
                "verbs": ["get"]}]),
        ),
        role(
            "system:public-info-viewer",
            json!([{"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"],
                "verbs": ["get"]}]),
        ),
        role(
            "system:basic-user",
            json!([{"apiGroups": ["authorization.k8s.io"],
                    "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                    "verbs": ["create"]},
                {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"],
                    "verbs": ["create"]}]),
        ),
    ]
}

/// The bootstrap ClusterRoleBindings of [`cluster_roles`].
pub fn cluster_role_bindings() -> Vec<Value> {
    vec![
        binding("cluster-admin", &[GROUP_MASTERS]),
        binding("system:discovery", &[GROUP_AUTHENTICATED]),
        binding(
            "system:public-info-viewer",
            &[GROUP_AUTHENTICATED, GROUP_UNAUTHENTICATED],
        ),
        binding("system:basic-user", &[GROUP_AUTHENTICATED]),
    ]
}
