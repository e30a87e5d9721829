//! Protobuf bodies of core/v1 Services and ServiceAccounts, as kubectl's typed commands send
//! them (`kubectl create service clusterip|nodeport|loadbalancer|externalname`, `kubectl create
//! serviceaccount`). Field numbers are those of k8s.io/api `core/v1/generated.proto` (and
//! apimachinery's `intstr`); each message accepts the fields kubectl writes and keeps those
//! that carry a value.

use std::collections::BTreeMap;

use prost::Message;
use serde_json::{Value, json};

use super::wire::{decode_checked, obj, put_list, put_map};
use super::{object_meta, with_spec};
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

/// Decode `raw` of `api_version`/`kind` if it is a Service or a ServiceAccount.
pub(super) fn decode(api_version: &str, kind: &str, raw: &[u8]) -> ApiResult<Option<Value>> {
    Ok(Some(match (api_version, kind) {
        ("v1", "Service") => with_spec(raw, "Service", service_spec)?,
        ("v1", "ServiceAccount") => {
            let sa: ServiceAccount = decode_checked(raw, SERVICE_ACCOUNT_FIELDS, "ServiceAccount")?;
            let mut v = json!({"metadata": object_meta(sa.metadata)?});
            if let Some(a) = sa.automount {
                v["automountServiceAccountToken"] = json!(a);
            }
            v
        }
        _ => return Ok(None),
    }))
}
