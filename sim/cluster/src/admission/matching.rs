//! Which webhooks a pod CREATE must go through: `rules` (operations, apiGroups, apiVersions,
//! resources, scope), `namespaceSelector` (namespace labels), `objectSelector` (pod labels), as
//! the API server's `generic.Webhook.ShouldCallHook` decides.

use serde_json::{Map, Value};

use crate::selector::LabelSelector;
use crate::util;

fn has(list: Option<&Value>, want: &[&str]) -> bool {
    list.and_then(Value::as_array).is_some_and(|l| {
        l.iter()
            .filter_map(Value::as_str)
            .any(|v| want.contains(&v))
    })
}

/// Whether a rule covers CREATE of core/v1 `pods` (not subresources: only `pods`, `*` and
/// `*/*` do; `pods/*` is for subresources).
fn rule_matches_pod_create(rule: &Value) -> bool {
    has(rule.get("operations"), &["CREATE", "*"])
        && has(rule.get("apiGroups"), &["", "*"])
        && has(rule.get("apiVersions"), &["v1", "*"])
        && has(rule.get("resources"), &["pods", "*", "*/*"])
        && matches!(util::str_at(rule, "scope"), "" | "*" | "Namespaced")
}

/// Whether `webhook` applies to a pod CREATE in a namespace with `ns_labels`.
pub fn applies(
    webhook: &Value,
    pod: &Value,
    ns_labels: Option<&Map<String, Value>>,
) -> Result<bool, String> {
    let rules_ok = webhook
        .get("rules")
        .and_then(Value::as_array)
        .is_some_and(|rs| rs.iter().any(rule_matches_pod_create));
    if !rules_ok {
        return Ok(false);
    }
    let ns_sel =
        LabelSelector::from_object(webhook.get("namespaceSelector")).map_err(|e| e.message)?;
    if !ns_sel.matches(ns_labels) {
        return Ok(false);
    }
    let obj_sel =
        LabelSelector::from_object(webhook.get("objectSelector")).map_err(|e| e.message)?;
    Ok(obj_sel.matches_object(pod))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_and_selectors_pick_webhooks() {
        let wh = json!({"rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "namespaceSelector": {"matchLabels": {"rightsize.dev/enabled": "true"}},
            "objectSelector": {"matchExpressions": [{"key": "skip", "operator": "DoesNotExist"}]}});
        let ns = json!({"rightsize.dev/enabled": "true"});
        let pod = json!({"metadata": {"labels": {"app": "a"}}});
        assert!(applies(&wh, &pod, ns.as_object()).unwrap());
        assert!(!applies(&wh, &pod, None).unwrap());
        let skipped = json!({"metadata": {"labels": {"skip": "1"}}});
        assert!(!applies(&wh, &skipped, ns.as_object()).unwrap());
        let sub_only = json!({"rules": [{"operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/resize"]}]});
        assert!(!applies(&sub_only, &pod, None).unwrap());
    }
}
