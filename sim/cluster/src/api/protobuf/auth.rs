//! Protobuf request bodies of the kinds kubectl's typed commands send for Services,
//! ServiceAccounts, TokenRequests, RBAC and SelfSubjectAccessReviews (`kubectl create service
//! clusterip|nodeport|loadbalancer|externalname`, `create serviceaccount`, `create token`,
//! `create role|clusterrole|rolebinding|clusterrolebinding`, `auth can-i`). Field numbers are
//! those of k8s.io/api `core/v1`, `authentication/v1`, `authorization/v1` and `rbac/v1`
//! `generated.proto`. Go's protobuf marshaller writes every non-pointer field, empty or not, so
//! each message accepts the fields kubectl writes and keeps those that carry a value.

use std::collections::BTreeMap;

use prost::Message;
use serde_json::{Map, Value, json};

use super::{decode_checked, object_meta, put_map, put_str};
use crate::error::ApiResult;

/// `intstr.IntOrString` (apimachinery `pkg/util/intstr/generated.proto`).
#[derive(Clone, PartialEq, Message)]
struct IntOrString {
    #[prost(int64, optional, tag = "1")]
    r#type: Option<i64>,
    #[prost(int32, optional, tag = "2")]
    int_val: Option<i32>,
    #[prost(string, optional, tag = "3")]
    str_val: Option<String>,
}

/// `v1.ServicePort`: name 1, protocol 2, port 3, targetPort 4, nodePort 5, appProtocol 6.
#[derive(Clone, PartialEq, Message)]
struct ServicePort {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    protocol: Option<String>,
    #[prost(int32, optional, tag = "3")]
    port: Option<i32>,
    #[prost(message, optional, tag = "4")]
    target_port: Option<IntOrString>,
    #[prost(int32, optional, tag = "5")]
    node_port: Option<i32>,
    #[prost(string, optional, tag = "6")]
    app_protocol: Option<String>,
}

/// `v1.ServiceSpec`: ports 1, selector 2, clusterIP 3, type 4, externalIPs 5, sessionAffinity 7,
/// externalName 10, ipFamilyPolicy 17, clusterIPs 18, ipFamilies 19, internalTrafficPolicy 22;
/// the load-balancer and traffic fields (8, 9, 11, 12, 13, 14, 20, 21, 23) are accepted and
/// dropped: kubectl writes them empty.
#[derive(Clone, PartialEq, Message)]
struct ServiceSpec {
    #[prost(message, repeated, tag = "1")]
    ports: Vec<ServicePort>,
    #[prost(btree_map = "string, string", tag = "2")]
    selector: BTreeMap<String, String>,
    #[prost(string, optional, tag = "3")]
    cluster_ip: Option<String>,
    #[prost(string, optional, tag = "4")]
    r#type: Option<String>,
    #[prost(string, repeated, tag = "5")]
    external_ips: Vec<String>,
    #[prost(string, optional, tag = "7")]
    session_affinity: Option<String>,
    #[prost(string, optional, tag = "10")]
    external_name: Option<String>,
    #[prost(string, optional, tag = "17")]
    ip_family_policy: Option<String>,
    #[prost(string, repeated, tag = "18")]
    cluster_ips: Vec<String>,
    #[prost(string, repeated, tag = "19")]
    ip_families: Vec<String>,
    #[prost(string, optional, tag = "22")]
    internal_traffic_policy: Option<String>,
}
const SERVICE_SPEC_FIELDS: &[u32] = &[
    1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 17, 18, 19, 20, 21, 22, 23,
];

/// Objects of the shape metadata 1, spec 2 (status 3 is server-owned and dropped): Service,
/// TokenRequest, SelfSubjectAccessReview.
#[derive(Clone, PartialEq, Message)]
struct WithSpec {
    #[prost(bytes = "vec", optional, tag = "1")]
    metadata: Option<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "2")]
    spec: Option<Vec<u8>>,
}
const WITH_SPEC_FIELDS: &[u32] = &[1, 2, 3];

/// `v1.ServiceAccount`: metadata 1, automountServiceAccountToken 4 (secrets 2 and
/// imagePullSecrets 3 are refused: kubectl never sends them).
#[derive(Clone, PartialEq, Message)]
struct ServiceAccount {
    #[prost(bytes = "vec", optional, tag = "1")]
    metadata: Option<Vec<u8>>,
    #[prost(bool, optional, tag = "4")]
    automount: Option<bool>,
}
const SERVICE_ACCOUNT_FIELDS: &[u32] = &[1, 4];

/// `authentication/v1.TokenRequestSpec`: audiences 1, boundObjectRef 3, expirationSeconds 4.
#[derive(Clone, PartialEq, Message)]
struct TokenRequestSpec {
    #[prost(string, repeated, tag = "1")]
    audiences: Vec<String>,
    #[prost(message, optional, tag = "3")]
    bound_object_ref: Option<BoundObjectReference>,
    #[prost(int64, optional, tag = "4")]
    expiration_seconds: Option<i64>,
}

/// `authentication/v1.BoundObjectReference`: kind 1, apiVersion 2, name 3, uid 4.
#[derive(Clone, PartialEq, Message)]
struct BoundObjectReference {
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "2")]
    api_version: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    uid: Option<String>,
}

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

/// `authorization/v1.SelfSubjectAccessReviewSpec`: resourceAttributes 1,
/// nonResourceAttributes 2.
#[derive(Clone, PartialEq, Message)]
struct AccessReviewSpec {
    #[prost(message, optional, tag = "1")]
    resource_attributes: Option<ResourceAttributes>,
    #[prost(message, optional, tag = "2")]
    non_resource_attributes: Option<NonResourceAttributes>,
}

/// `authorization/v1.ResourceAttributes`: namespace 1, verb 2, group 3, version 4, resource 5,
/// subresource 6, name 7 (field and label selectors 8, 9 are not evaluated).
#[derive(Clone, PartialEq, Message)]
struct ResourceAttributes {
    #[prost(string, optional, tag = "1")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "2")]
    verb: Option<String>,
    #[prost(string, optional, tag = "3")]
    group: Option<String>,
    #[prost(string, optional, tag = "4")]
    version: Option<String>,
    #[prost(string, optional, tag = "5")]
    resource: Option<String>,
    #[prost(string, optional, tag = "6")]
    subresource: Option<String>,
    #[prost(string, optional, tag = "7")]
    name: Option<String>,
}

/// `authorization/v1.NonResourceAttributes`: path 1, verb 2.
#[derive(Clone, PartialEq, Message)]
struct NonResourceAttributes {
    #[prost(string, optional, tag = "1")]
    path: Option<String>,
    #[prost(string, optional, tag = "2")]
    verb: Option<String>,
}

fn obj(pairs: Vec<(&str, Option<String>)>) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in pairs {
        put_str(&mut m, k, v);
    }
    m
}

fn put_list(m: &mut Map<String, Value>, key: &str, v: Vec<String>) {
    if !v.is_empty() {
        m.insert(key.into(), json!(v));
    }
}

fn service_spec(bytes: &[u8]) -> ApiResult<Value> {
    let s: ServiceSpec = decode_checked(bytes, SERVICE_SPEC_FIELDS, "ServiceSpec")?;
    let ports: Vec<Value> = s
        .ports
        .into_iter()
        .map(|p| {
            let mut m = obj(vec![
                ("name", p.name),
                ("protocol", p.protocol),
                ("appProtocol", p.app_protocol),
            ]);
            m.insert("port".into(), json!(p.port.unwrap_or(0)));
            if let Some(t) = p.target_port {
                let target = if t.r#type == Some(1) {
                    json!(t.str_val.unwrap_or_default())
                } else {
                    json!(t.int_val.unwrap_or(0))
                };
                if target != json!(0) && target != json!("") {
                    m.insert("targetPort".into(), target);
                }
            }
            if let Some(np) = p.node_port.filter(|n| *n != 0) {
                m.insert("nodePort".into(), json!(np));
            }
            Value::Object(m)
        })
        .collect();
    let mut m = obj(vec![
        ("clusterIP", s.cluster_ip),
        ("type", s.r#type),
        ("sessionAffinity", s.session_affinity),
        ("externalName", s.external_name),
        ("ipFamilyPolicy", s.ip_family_policy),
        ("internalTrafficPolicy", s.internal_traffic_policy),
    ]);
    if !ports.is_empty() {
        m.insert("ports".into(), Value::Array(ports));
    }
    put_map(&mut m, "selector", s.selector);
    put_list(&mut m, "externalIPs", s.external_ips);
    put_list(&mut m, "clusterIPs", s.cluster_ips);
    put_list(&mut m, "ipFamilies", s.ip_families);
    Ok(Value::Object(m))
}

fn token_spec(bytes: &[u8]) -> ApiResult<Value> {
    let s = TokenRequestSpec::decode(bytes).map_err(|e| super::malformed("TokenRequestSpec", e))?;
    let mut m = Map::new();
    put_list(&mut m, "audiences", s.audiences);
    if let Some(e) = s.expiration_seconds {
        m.insert("expirationSeconds".into(), json!(e));
    }
    if let Some(b) = s.bound_object_ref {
        let r = obj(vec![
            ("kind", b.kind),
            ("apiVersion", b.api_version),
            ("name", b.name),
            ("uid", b.uid),
        ]);
        m.insert("boundObjectRef".into(), Value::Object(r));
    }
    Ok(Value::Object(m))
}

fn review_spec(bytes: &[u8]) -> ApiResult<Value> {
    let s = AccessReviewSpec::decode(bytes)
        .map_err(|e| super::malformed("SelfSubjectAccessReviewSpec", e))?;
    let mut m = Map::new();
    if let Some(r) = s.resource_attributes {
        let a = obj(vec![
            ("namespace", r.namespace),
            ("verb", r.verb),
            ("group", r.group),
            ("version", r.version),
            ("resource", r.resource),
            ("subresource", r.subresource),
            ("name", r.name),
        ]);
        m.insert("resourceAttributes".into(), Value::Object(a));
    }
    if let Some(n) = s.non_resource_attributes {
        let a = obj(vec![("path", n.path), ("verb", n.verb)]);
        m.insert("nonResourceAttributes".into(), Value::Object(a));
    }
    Ok(Value::Object(m))
}

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

/// Decode `raw` of `api_version`/`kind` if it is one of this module's kinds.
pub(super) fn decode(api_version: &str, kind: &str, raw: &[u8]) -> ApiResult<Option<Value>> {
    let with_spec = |what: &str, spec: fn(&[u8]) -> ApiResult<Value>| -> ApiResult<Value> {
        let o: WithSpec = decode_checked(raw, WITH_SPEC_FIELDS, what)?;
        let mut v = json!({"metadata": object_meta(o.metadata)?});
        if let Some(s) = o.spec {
            v["spec"] = spec(&s)?;
        }
        Ok(v)
    };
    Ok(Some(match (api_version, kind) {
        ("v1", "Service") => with_spec("Service", service_spec)?,
        ("authentication.k8s.io/v1", "TokenRequest") => with_spec("TokenRequest", token_spec)?,
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => {
            with_spec("SelfSubjectAccessReview", review_spec)?
        }
        // `authentication/v1.SelfSubjectReview`: metadata 1, status 2 (server-owned).
        ("authentication.k8s.io/v1", "SelfSubjectReview") => {
            let o: WithSpec = decode_checked(raw, &[1, 2], "SelfSubjectReview")?;
            json!({"metadata": object_meta(o.metadata)?})
        }
        ("v1", "ServiceAccount") => {
            let sa: ServiceAccount = decode_checked(raw, SERVICE_ACCOUNT_FIELDS, "ServiceAccount")?;
            let mut v = json!({"metadata": object_meta(sa.metadata)?});
            if let Some(a) = sa.automount {
                v["automountServiceAccountToken"] = json!(a);
            }
            v
        }
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
