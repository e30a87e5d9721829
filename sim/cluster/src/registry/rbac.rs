//! Validation of the RBAC kinds (kubernetes `pkg/apis/rbac/validation/validation.go`):
//! `ValidatePolicyRule` for Roles and ClusterRoles (verbs required; resource rules need groups
//! and resources; non-resource URLs only in ClusterRoles and never mixed with resources),
//! `ValidateRoleBinding` / `ValidateClusterRoleBinding` (roleRef group and kind, subjects) and
//! the update rule that a binding's `roleRef` never changes ("cannot change roleRef").

use serde_json::Value;

use crate::error::{FieldError, FieldErrorKind};
use crate::resources::RBAC_GROUP;
use crate::util;

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn not_supported(field: String, value: &str, supported: &[&str]) -> FieldError {
    let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
    FieldError {
        field,
        kind: FieldErrorKind::NotSupported(value.into()),
        detail: format!("supported values: {}", list.join(", ")),
    }
}

/// `ValidatePolicyRule` for every rule of a Role (`namespaced`) or ClusterRole.
pub fn validate_role(obj: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, rule) in obj
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = |f: &str| format!("rules[{i}].{f}");
        if strings(rule, "verbs").is_empty() {
            errs.push(FieldError::required(
                at("verbs"),
                "verbs must contain at least one value",
            ));
        }
        let urls = strings(rule, "nonResourceURLs");
        if !urls.is_empty() {
            let shown = format!("{urls:?}");
            if namespaced {
                errs.push(FieldError::invalid(
                    at("nonResourceURLs"),
                    shown.clone(),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if ["apiGroups", "resources", "resourceNames"]
                .iter()
                .any(|k| !strings(rule, k).is_empty())
            {
                errs.push(FieldError::invalid(
                    at("nonResourceURLs"),
                    shown,
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if rule
            .get("apiGroups")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            errs.push(FieldError::required(
                at("apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if strings(rule, "resources").is_empty() {
            errs.push(FieldError::required(
                at("resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    errs
}

/// `ValidateRoleBinding` (`namespaced`) / `ValidateClusterRoleBinding`.
pub fn validate_binding(obj: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let rr = obj.get("roleRef").unwrap_or(&Value::Null);
    let group = util::str_at(rr, "apiGroup");
    if group != RBAC_GROUP {
        errs.push(not_supported(
            "roleRef.apiGroup".into(),
            group,
            &[RBAC_GROUP],
        ));
    }
    let kind = util::str_at(rr, "kind");
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&kind) {
        errs.push(not_supported("roleRef.kind".into(), kind, kinds));
    }
    if util::str_at(rr, "name").is_empty() {
        errs.push(FieldError::required("roleRef.name", ""));
    }
    for (i, s) in obj
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = |f: &str| format!("subjects[{i}].{f}");
        if util::str_at(s, "name").is_empty() {
            errs.push(FieldError::required(at("name"), ""));
        }
        let api_group = util::str_at(s, "apiGroup");
        match util::str_at(s, "kind") {
            "ServiceAccount" => {
                if !api_group.is_empty() {
                    errs.push(not_supported(at("apiGroup"), api_group, &[""]));
                }
                if !namespaced && util::str_at(s, "namespace").is_empty() {
                    errs.push(FieldError::required(at("namespace"), ""));
                }
            }
            "User" | "Group" => {
                if api_group != RBAC_GROUP {
                    errs.push(not_supported(at("apiGroup"), api_group, &[RBAC_GROUP]));
                }
            }
            other => errs.push(not_supported(
                at("kind"),
                other,
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
    errs
}

/// `ValidateRoleBindingUpdate`: the roleRef is fixed once created.
pub fn validate_binding_update(old: &Value, new: &Value) -> Vec<FieldError> {
    if old.get("roleRef") == new.get("roleRef") {
        return Vec::new();
    }
    let rr = new.get("roleRef").unwrap_or(&Value::Null);
    let shown = format!(
        "rbac.RoleRef{{APIGroup:{:?}, Kind:{:?}, Name:{:?}}}",
        util::str_at(rr, "apiGroup"),
        util::str_at(rr, "kind"),
        util::str_at(rr, "name")
    );
    vec![FieldError::invalid(
        "roleRef",
        shown,
        "cannot change roleRef",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_need_verbs_and_keep_urls_to_cluster_roles() {
        let role = json!({"rules": [{"apiGroups": [""], "resources": ["pods"]},
            {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]});
        let errs: Vec<String> = validate_role(&role, true)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errs[0],
            "rules[0].verbs: Required value: verbs must contain at least one value"
        );
        assert!(
            errs[1].ends_with("namespaced rules cannot apply to non-resource URLs"),
            "{errs:?}"
        );
        assert_eq!(validate_role(&role, false).len(), 1);
        let no_group = json!({"rules": [{"resources": ["pods"], "verbs": ["get"]}]});
        assert!(
            validate_role(&no_group, false)[0]
                .to_string()
                .contains("at least one api group")
        );
    }

    #[test]
    fn bindings_check_role_ref_and_subjects_and_role_ref_is_immutable() {
        let b = json!({"roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "sa"},
                {"kind": "User", "apiGroup": RBAC_GROUP, "name": "jane"}]});
        assert!(validate_binding(&b, true).is_empty());
        let errs: Vec<String> = validate_binding(&b, false)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            errs[0].starts_with("roleRef.kind: Unsupported value: \"Role\""),
            "{errs:?}"
        );
        assert_eq!(errs[1], "subjects[0].namespace: Required value");
        let mut other = b.clone();
        other["roleRef"]["name"] = json!("r2");
        assert!(
            validate_binding_update(&b, &other)[0]
                .to_string()
                .ends_with("cannot change roleRef")
        );
        assert!(validate_binding_update(&b, &b).is_empty());
    }
}
