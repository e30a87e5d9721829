//! The rule matcher against the examples of the Kubernetes RBAC documentation
//! (https://kubernetes.io/docs/reference/access-authn-authz/rbac/).

use std::collections::HashMap;

use serde_json::json;

use super::*;

fn req(method: &str, path: &str) -> RequestInfo {
    RequestInfo::new(method, path, &HashMap::new())
}

#[test]
fn pod_reader_role_reads_pods_and_nothing_else() {
    // "Role example": get, watch, list on pods in the core group.
    let rule = json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]});
    assert!(rule_allows(
        &req("GET", "/api/v1/namespaces/default/pods/x"),
        &rule
    ));
    assert!(rule_allows(
        &req("GET", "/api/v1/namespaces/default/pods"),
        &rule
    ));
    let watch = RequestInfo::new(
        "GET",
        "/api/v1/namespaces/default/pods",
        &HashMap::from([("watch".to_string(), "true".to_string())]),
    );
    assert!(rule_allows(&watch, &rule));
    assert!(!rule_allows(
        &req("DELETE", "/api/v1/namespaces/default/pods/x"),
        &rule
    ));
    assert!(!rule_allows(
        &req("PATCH", "/api/v1/namespaces/default/pods/x/resize"),
        &rule
    ));
    assert!(!rule_allows(
        &req("GET", "/api/v1/namespaces/default/pods/x/log"),
        &rule
    ));
    assert!(!rule_allows(
        &req("GET", "/apis/apps/v1/namespaces/default/deployments"),
        &rule
    ));
}

#[test]
fn subresources_are_granted_by_name_or_by_star_slash() {
    // "Referring to resources": `pods` and `pods/log` are separate grants.
    let rule =
        json!({"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]});
    assert!(rule_allows(
        &req("GET", "/api/v1/namespaces/a/pods/x/log"),
        &rule
    ));
    let resize = json!({"apiGroups": [""], "resources": ["pods/resize"], "verbs": ["patch"]});
    assert!(rule_allows(
        &req("PATCH", "/api/v1/namespaces/a/pods/x/resize"),
        &resize
    ));
    assert!(!rule_allows(
        &req("PATCH", "/api/v1/namespaces/a/pods/x"),
        &resize
    ));
    assert!(!rule_allows(
        &req("PATCH", "/api/v1/namespaces/a/pods/x/status"),
        &resize
    ));
    // `*/scale` is every resource's scale subresource, not the resource itself.
    let scale = json!({"apiGroups": ["*"], "resources": ["*/scale"], "verbs": ["update"]});
    assert!(rule_allows(
        &req("PUT", "/apis/apps/v1/namespaces/a/deployments/d/scale"),
        &scale
    ));
    assert!(!rule_allows(
        &req("PUT", "/apis/apps/v1/namespaces/a/deployments/d"),
        &scale
    ));
}

#[test]
fn resource_names_restrict_named_requests_only() {
    // "Referring to resources": get/update of one ConfigMap by name.
    let rule = json!({"apiGroups": [""], "resources": ["configmaps"],
        "resourceNames": ["my-configmap"], "verbs": ["update", "get"]});
    assert!(rule_allows(
        &req("GET", "/api/v1/namespaces/a/configmaps/my-configmap"),
        &rule
    ));
    assert!(!rule_allows(
        &req("GET", "/api/v1/namespaces/a/configmaps/other"),
        &rule
    ));
    // A list carries no name (unless selecting one by metadata.name).
    let list = json!({"apiGroups": [""], "resources": ["configmaps"],
        "resourceNames": ["my-configmap"], "verbs": ["list"]});
    assert!(!rule_allows(
        &req("GET", "/api/v1/namespaces/a/configmaps"),
        &list
    ));
    let one = RequestInfo::new(
        "GET",
        "/api/v1/namespaces/a/configmaps",
        &HashMap::from([("fieldSelector".into(), "metadata.name=my-configmap".into())]),
    );
    assert!(rule_allows(&one, &list));
}

#[test]
fn wildcards_and_groups() {
    let all = json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]});
    assert!(rule_allows(
        &req("DELETE", "/apis/apps/v1/namespaces/a/deployments"),
        &all
    ));
    assert!(rule_allows(
        &req("PATCH", "/api/v1/namespaces/a/pods/x/resize"),
        &all
    ));
    assert!(
        !rule_allows(&req("GET", "/healthz"), &all),
        "resource rules never grant paths"
    );
    let apps = json!({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]});
    assert!(rule_allows(
        &req("GET", "/apis/apps/v1/namespaces/a/deployments/d"),
        &apps
    ));
    assert!(!rule_allows(
        &req("GET", "/apis/extensions/v1beta1/namespaces/a/deployments/d"),
        &apps
    ));
}

#[test]
fn non_resource_urls_match_exactly_or_by_trailing_star() {
    // "ClusterRole example": GET and POST on /healthz and everything under it.
    let rule = json!({"nonResourceURLs": ["/healthz", "/healthz/*"], "verbs": ["get", "post"]});
    assert!(rule_allows(&req("GET", "/healthz"), &rule));
    assert!(rule_allows(&req("POST", "/healthz/etcd"), &rule));
    assert!(!rule_allows(&req("GET", "/healthzx"), &rule));
    assert!(!rule_allows(&req("DELETE", "/healthz"), &rule));
    assert!(!rule_allows(
        &req("GET", "/api/v1/namespaces/a/pods"),
        &rule
    ));
}

#[test]
fn subjects_name_users_groups_and_service_accounts() {
    let sa = User::service_account("shop", "ctl");
    let subject = |v| subject_applies(&v, &sa, "shop");
    assert!(subject(
        json!({"kind": "ServiceAccount", "name": "ctl", "namespace": "shop"})
    ));
    // A namespace-less ServiceAccount subject means the binding's namespace.
    assert!(subject(json!({"kind": "ServiceAccount", "name": "ctl"})));
    assert!(!subject_applies(
        &json!({"kind": "ServiceAccount", "name": "ctl"}),
        &sa,
        ""
    ));
    assert!(!subject(
        json!({"kind": "ServiceAccount", "name": "ctl", "namespace": "other"})
    ));
    assert!(subject(
        json!({"kind": "Group", "name": "system:serviceaccounts"})
    ));
    assert!(subject(
        json!({"kind": "Group", "name": "system:serviceaccounts:shop"})
    ));
    assert!(subject(
        json!({"kind": "Group", "name": "system:authenticated"})
    ));
    assert!(!subject(
        json!({"kind": "Group", "name": "system:serviceaccounts:other"})
    ));
    assert!(subject(
        json!({"kind": "User", "name": "system:serviceaccount:shop:ctl"})
    ));
    assert!(!subject(json!({"kind": "User", "name": "ctl"})));
}
