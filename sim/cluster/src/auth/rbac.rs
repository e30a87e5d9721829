//! The RBAC authorizer: whether a user may do what a request asks, from the Roles,
//! ClusterRoles and their bindings in the store. A port of kubernetes
//! `plugin/pkg/auth/authorizer/rbac/rbac.go` (`RBACAuthorizer.Authorize`, the `authorizingVisitor`
//! and its reasons) and `pkg/apis/rbac/v1/evaluation_helpers.go` (`VerbMatches`,
//! `APIGroupMatches`, `ResourceMatches` with `*/subresource`, `ResourceNameMatches`,
//! `NonResourceURLMatches` with a trailing `*`), and of `appliesTo` in
//! `pkg/registry/rbac/validation/rule.go` for subjects. ClusterRoleBindings are visited first,
//! then the RoleBindings of the request's namespace; aggregated ClusterRoles are not evaluated.

use serde_json::Value;

use super::User;
use super::request_info::RequestInfo;
use crate::resources::{self, RBAC_GROUP};
use crate::state::Cluster;
use crate::util;

/// `rbacv1.VerbAll`, `APIGroupAll`, `ResourceAll`, `NonResourceAll`.
const ALL: &str = "*";
/// `serviceaccount.ServiceAccountUsernamePrefix`.
const SA_PREFIX: &str = "system:serviceaccount:";

/// An authorization answer, with the reason the real authorizer gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
}

fn strings<'a>(rule: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    rule.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn has(rule: &Value, key: &str, want: &str) -> bool {
    strings(rule, key).any(|s| s == ALL || s == want)
}

/// `ResourceMatches`: `resource/subresource` exactly, `*`, or `*/subresource`.
fn resource_matches(rule: &Value, combined: &str, subresource: &str) -> bool {
    strings(rule, "resources").any(|r| {
        r == ALL
            || r == combined
            || (!subresource.is_empty()
                && r.len() == subresource.len() + 2
                && r.starts_with("*/")
                && r.ends_with(subresource))
    })
}

/// `ResourceNameMatches`: no names means every name.
fn resource_name_matches(rule: &Value, name: &str) -> bool {
    let mut names = strings(rule, "resourceNames").peekable();
    names.peek().is_none() || names.any(|n| n == name)
}

/// `NonResourceURLMatches`: exact, `*`, or a prefix ending in `*`.
fn non_resource_url_matches(rule: &Value, path: &str) -> bool {
    strings(rule, "nonResourceURLs")
        .any(|u| u == ALL || u == path || u.strip_suffix('*').is_some_and(|p| path.starts_with(p)))
}

/// `RuleAllows`: whether one PolicyRule grants the request.
pub fn rule_allows(info: &RequestInfo, rule: &Value) -> bool {
    if !has(rule, "verbs", &info.verb) {
        return false;
    }
    if !info.resource_request {
        return non_resource_url_matches(rule, &info.path);
    }
    let combined = if info.subresource.is_empty() {
        info.resource.clone()
    } else {
        format!("{}/{}", info.resource, info.subresource)
    };
    has(rule, "apiGroups", &info.api_group)
        && resource_matches(rule, &combined, &info.subresource)
        && resource_name_matches(rule, &info.name)
}

/// `appliesToUser`: a binding subject names this user (a ServiceAccount subject without a
/// namespace means the binding's own).
pub fn subject_applies(subject: &Value, user: &User, binding_ns: &str) -> bool {
    let name = util::str_at(subject, "name");
    match util::str_at(subject, "kind") {
        "User" => user.name == name,
        "Group" => user.groups.iter().any(|g| g == name),
        "ServiceAccount" => {
            let ns = match util::str_at(subject, "namespace") {
                "" => binding_ns,
                ns => ns,
            };
            !ns.is_empty() && user.name == format!("{SA_PREFIX}{ns}:{name}")
        }
        _ => false,
    }
}

/// `describeSubject`, as allowed reasons name the subject.
fn describe_subject(subject: &Value, binding_ns: &str) -> String {
    let kind = util::str_at(subject, "kind");
    let name = util::str_at(subject, "name");
    if kind == "ServiceAccount" {
        let ns = match util::str_at(subject, "namespace") {
            "" => binding_ns,
            ns => ns,
        };
        format!("{kind} {:?}", format!("{name}/{ns}"))
    } else {
        format!("{kind} {name:?}")
    }
}

/// `utilerrors.NewAggregate(errs).Error()`.
fn aggregate(errs: &[String]) -> String {
    match errs {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

impl Cluster {
    /// The rules a binding's `roleRef` points at, or the lister's NotFound text.
    fn role_rules(&self, binding_ns: &str, role_ref: &Value) -> Result<Vec<Value>, String> {
        let name = util::str_at(role_ref, "name");
        let (plural, singular, ns) = match util::str_at(role_ref, "kind") {
            "ClusterRole" => ("clusterroles", "clusterrole", ""),
            _ => ("roles", "role", binding_ns),
        };
        let def = resources::find(RBAC_GROUP, "v1", plural).expect("served RBAC kind");
        match self.store.get(def, ns, name) {
            Some(role) => Ok(role
                .get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()),
            None => Err(format!("{singular}.{RBAC_GROUP} {name:?} not found")),
        }
    }

    /// Visit the bindings of `plural` in `ns` that name `user`; the first rule that allows the
    /// request ends the walk with `RBAC: allowed by ...`.
    fn visit_bindings(
        &self,
        plural: &str,
        ns: Option<&str>,
        user: &User,
        info: &RequestInfo,
        errors: &mut Vec<String>,
    ) -> Option<String> {
        let def = resources::find(RBAC_GROUP, "v1", plural).expect("served RBAC kind");
        let (bindings, _) = self.store.list(def, ns);
        for b in bindings {
            let bns = util::str_at(&b, "metadata.namespace");
            let subjects = b.get("subjects").and_then(Value::as_array);
            let Some(subject) = subjects
                .into_iter()
                .flatten()
                .find(|s| subject_applies(s, user, bns))
            else {
                continue;
            };
            let rules = match self.role_rules(bns, &b["roleRef"]) {
                Ok(r) => r,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if rules.iter().any(|r| rule_allows(info, r)) {
                let name = util::str_at(&b, "metadata.name");
                let role_kind = util::str_at(&b["roleRef"], "kind");
                let role_name = util::str_at(&b["roleRef"], "name");
                let who = describe_subject(subject, bns);
                let source = if ns.is_some() {
                    format!(
                        "RoleBinding {:?} of {role_kind} {role_name:?} to {who}",
                        format!("{name}/{bns}")
                    )
                } else {
                    format!("ClusterRoleBinding {name:?} of {role_kind} {role_name:?} to {who}")
                };
                return Some(format!("RBAC: allowed by {source}"));
            }
        }
        None
    }

    /// `RBACAuthorizer.Authorize` for `user` and `info`.
    pub(crate) fn authorize(&self, user: &User, info: &RequestInfo) -> Decision {
        let mut errors = Vec::new();
        let mut found = self.visit_bindings("clusterrolebindings", None, user, info, &mut errors);
        if found.is_none() && !info.namespace.is_empty() {
            found = self.visit_bindings(
                "rolebindings",
                Some(&info.namespace),
                user,
                info,
                &mut errors,
            );
        }
        match found {
            Some(reason) => Decision {
                allowed: true,
                reason,
            },
            None => Decision {
                allowed: false,
                reason: if errors.is_empty() {
                    String::new()
                } else {
                    format!("RBAC: {}", aggregate(&errors))
                },
            },
        }
    }
}

#[cfg(test)]
mod tests;
