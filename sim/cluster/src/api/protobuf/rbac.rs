//! Protobuf bodies of the RBAC kinds, as kubectl's typed commands send them (`kubectl create
//! role|clusterrole|rolebinding|clusterrolebinding`). Field numbers are those of k8s.io/api
//! `rbac/v1/generated.proto`; each message accepts the fields kubectl writes and keeps those
//! that carry a value.

use prost::Message;
use serde_json::{Map, Value, json};

use super::object_meta;
use super::wire::{decode_checked, obj, put_list};
use crate::error::ApiResult;

/// `rbac/v1.PolicyRule`: verbs 1, apiGroups 2, resources 3, resourceNames 4, nonResourceURLs 5.
#[derive(Clone, PartialEq, Message)]
struct PolicyRule {
    #[prost(string, repeated, tag = "1")]
    verbs: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    api_groups: Vec<String>,
    #[prost(string, repeated, tag = "3")]
    resources: Vec<String>,
    #[prost(string, repeated, tag = "4")]
    resource_names: Vec<String>,
    #[prost(string, repeated, tag = "5")]
    non_resource_urls: Vec<String>,
}

/// `rbac/v1.Role` / `ClusterRole`: metadata 1, rules 2 (aggregationRule 3 is refused).
#[derive(Clone, PartialEq, Message)]
struct Role {
    #[prost(bytes = "vec", optional, tag = "1")]
    metadata: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "2")]
    rules: Vec<PolicyRule>,
}
const ROLE_FIELDS: &[u32] = &[1, 2];

/// `rbac/v1.Subject`: kind 1, apiGroup 2, name 3, namespace 4.
#[derive(Clone, PartialEq, Message)]
struct Subject {
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "2")]
    api_group: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    namespace: Option<String>,
}

/// `rbac/v1.RoleRef`: apiGroup 1, kind 2, name 3.
#[derive(Clone, PartialEq, Message)]
struct RoleRef {
    #[prost(string, optional, tag = "1")]
    api_group: Option<String>,
    #[prost(string, optional, tag = "2")]
    kind: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
}

/// `rbac/v1.RoleBinding` / `ClusterRoleBinding`: metadata 1, subjects 2, roleRef 3.
#[derive(Clone, PartialEq, Message)]
struct RoleBinding {
    #[prost(bytes = "vec", optional, tag = "1")]
    metadata: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "2")]
    subjects: Vec<Subject>,
    #[prost(message, optional, tag = "3")]
    role_ref: Option<RoleRef>,
}
const ROLE_BINDING_FIELDS: &[u32] = &[1, 2, 3];

fn rules(rules: Vec<PolicyRule>) -> Value {
    Value::Array(
        rules
            .into_iter()
            .map(|r| {
                let mut m = Map::new();
                put_list(&mut m, "verbs", r.verbs);
                if !r.api_groups.is_empty() || !r.resources.is_empty() {
                    // `""` (the core group) is a real entry: keep the list as sent.
                    m.insert("apiGroups".into(), json!(r.api_groups));
                }
                put_list(&mut m, "resources", r.resources);
                put_list(&mut m, "resourceNames", r.resource_names);
                put_list(&mut m, "nonResourceURLs", r.non_resource_urls);
                Value::Object(m)
            })
            .collect(),
    )
}

/// Decode `raw` of `api_version`/`kind` if it is a Role, ClusterRole, RoleBinding or
/// ClusterRoleBinding.
pub(super) fn decode(api_version: &str, kind: &str, raw: &[u8]) -> ApiResult<Option<Value>> {
    Ok(Some(match (api_version, kind) {
        ("rbac.authorization.k8s.io/v1", "Role" | "ClusterRole") => {
            let r: Role = decode_checked(raw, ROLE_FIELDS, kind)?;
            json!({"metadata": object_meta(r.metadata)?, "rules": rules(r.rules)})
        }
        ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => {
            let b: RoleBinding = decode_checked(raw, ROLE_BINDING_FIELDS, kind)?;
            let subjects: Vec<Value> = b
                .subjects
                .into_iter()
                .map(|s| {
                    Value::Object(obj(vec![
                        ("kind", s.kind),
                        ("apiGroup", s.api_group),
                        ("name", s.name),
                        ("namespace", s.namespace),
                    ]))
                })
                .collect();
            let rr = b.role_ref.unwrap_or_default();
            let mut v = json!({"metadata": object_meta(b.metadata)?,
                "roleRef": obj(vec![("apiGroup", rr.api_group), ("kind", rr.kind), ("name", rr.name)])});
            if !subjects.is_empty() {
                v["subjects"] = Value::Array(subjects);
            }
            v
        }
        _ => return Ok(None),
    }))
}
