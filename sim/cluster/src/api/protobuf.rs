//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded into the
//! JSON the store holds. kubectl's typed create commands (`kubectl create namespace`, `kubectl
//! create configmap`, `kubectl create secret`) and client-go typed clients send them; responses stay JSON, which those
//! clients accept because their Accept header lists `application/json` too.
//!
//! Wire format (apimachinery `pkg/runtime/serializer/protobuf/protobuf.go`): the magic bytes
//! `k8s\0`, then a `runtime.Unknown` whose `raw` holds the object's own message. Only the messages
//! below are modelled, each with hand-written prost structs naming just the fields we read; field
//! numbers are those of the generated.proto files cited on each struct. A body carrying a field
//! outside a message's known set is refused with 400 rather than silently dropping data.
//!
//! This module owns the envelope, ObjectMeta, the core kinds kubectl creates most (Namespace,
//! ConfigMap, Secret) and DeleteOptions; `services`, `rbac` and `auth` hold the messages of the
//! other typed commands, one module per API family, and `wire` the field-checked decoding and
//! JSON-building helpers they all share.

use std::collections::BTreeMap;

use prost::Message;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};
use wire::{decode_checked, malformed, put_map, put_str};

mod auth;
mod rbac;
mod services;
mod wire;

/// Media type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";
/// The envelope's prefix (`protobuf.go`, `protoEncodingPrefix`).
pub const MAGIC: &[u8] = b"k8s\0";

/// `runtime.Unknown` (apimachinery `pkg/runtime/generated.proto`).
#[derive(Clone, PartialEq, Message)]
struct Unknown {
    #[prost(message, optional, tag = "1")]
    type_meta: Option<TypeMeta>,
    #[prost(bytes = "vec", optional, tag = "2")]
    raw: Option<Vec<u8>>,
    #[prost(string, optional, tag = "3")]
    content_encoding: Option<String>,
    #[prost(string, optional, tag = "4")]
    content_type: Option<String>,
}

/// `runtime.TypeMeta` (apimachinery `pkg/runtime/generated.proto`).
#[derive(Clone, PartialEq, Message)]
struct TypeMeta {
    #[prost(string, optional, tag = "1")]
    api_version: Option<String>,
    #[prost(string, optional, tag = "2")]
    kind: Option<String>,
}

/// `metav1.ObjectMeta` (apimachinery `pkg/apis/meta/v1/generated.proto`). selfLink (4),
/// generation (7), creationTimestamp (8), deletionTimestamp (9), deletionGracePeriodSeconds (10)
/// and managedFields (17) are server-set: accepted on the wire and ignored, as the API server
/// ignores them on create.
#[derive(Clone, PartialEq, Message)]
struct ObjectMeta {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    generate_name: Option<String>,
    #[prost(string, optional, tag = "3")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "5")]
    uid: Option<String>,
    #[prost(string, optional, tag = "6")]
    resource_version: Option<String>,
    #[prost(btree_map = "string, string", tag = "11")]
    labels: BTreeMap<String, String>,
    #[prost(btree_map = "string, string", tag = "12")]
    annotations: BTreeMap<String, String>,
    #[prost(message, repeated, tag = "13")]
    owner_references: Vec<OwnerReference>,
    #[prost(string, repeated, tag = "14")]
    finalizers: Vec<String>,
}
const OBJECT_META_FIELDS: &[u32] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17];

/// `metav1.OwnerReference` (apimachinery `pkg/apis/meta/v1/generated.proto`): every field.
#[derive(Clone, PartialEq, Message)]
struct OwnerReference {
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    uid: Option<String>,
    #[prost(string, optional, tag = "5")]
    api_version: Option<String>,
    #[prost(bool, optional, tag = "6")]
    controller: Option<bool>,
    #[prost(bool, optional, tag = "7")]
    block_owner_deletion: Option<bool>,
}

/// `v1.Namespace` (k8s.io/api `core/v1/generated.proto`: metadata 1, spec 2, status 3). Status
/// (phase 1, conditions 2) is server-owned and reset on create, so only its presence is allowed.
#[derive(Clone, PartialEq, Message)]
struct Namespace {
    #[prost(bytes = "vec", optional, tag = "1")]
    metadata: Option<Vec<u8>>,
    #[prost(message, optional, tag = "2")]
    spec: Option<NamespaceSpec>,
}
const NAMESPACE_FIELDS: &[u32] = &[1, 2, 3];

/// `v1.NamespaceSpec` (k8s.io/api `core/v1/generated.proto`: finalizers 1).
#[derive(Clone, PartialEq, Message)]
struct NamespaceSpec {
    #[prost(string, repeated, tag = "1")]
    finalizers: Vec<String>,
}

/// `v1.ConfigMap` (k8s.io/api `core/v1/generated.proto`: metadata 1, data 2, binaryData 3,
/// immutable 4).
#[derive(Clone, PartialEq, Message)]
struct ConfigMap {
    #[prost(bytes = "vec", optional, tag = "1")]
    metadata: Option<Vec<u8>>,
    #[prost(btree_map = "string, string", tag = "2")]
    data: BTreeMap<String, String>,
    #[prost(btree_map = "string, bytes", tag = "3")]
    binary_data: BTreeMap<String, Vec<u8>>,
    #[prost(bool, optional, tag = "4")]
    immutable: Option<bool>,
}
const CONFIG_MAP_FIELDS: &[u32] = &[1, 2, 3, 4];

/// `v1.Secret` (k8s.io/api `core/v1/generated.proto`: metadata 1, data 2, type 3, stringData 4,
/// immutable 5). `kubectl create secret generic|tls` sends it.
#[derive(Clone, PartialEq, Message)]
struct Secret {
    #[prost(bytes = "vec", optional, tag = "1")]
    metadata: Option<Vec<u8>>,
    #[prost(btree_map = "string, bytes", tag = "2")]
    data: BTreeMap<String, Vec<u8>>,
    #[prost(string, optional, tag = "3")]
    r#type: Option<String>,
    #[prost(btree_map = "string, string", tag = "4")]
    string_data: BTreeMap<String, String>,
    #[prost(bool, optional, tag = "5")]
    immutable: Option<bool>,
}
const SECRET_FIELDS: &[u32] = &[1, 2, 3, 4, 5];

/// `metav1.DeleteOptions` (apimachinery `pkg/apis/meta/v1/generated.proto`: gracePeriodSeconds 1,
/// preconditions 2, orphanDependents 3, propagationPolicy 4, dryRun 5), sent by typed clients'
/// Delete calls.
#[derive(Clone, PartialEq, Message)]
struct DeleteOptions {
    #[prost(int64, optional, tag = "1")]
    grace_period_seconds: Option<i64>,
    #[prost(message, optional, tag = "2")]
    preconditions: Option<Preconditions>,
    #[prost(bool, optional, tag = "3")]
    orphan_dependents: Option<bool>,
    #[prost(string, optional, tag = "4")]
    propagation_policy: Option<String>,
    #[prost(string, repeated, tag = "5")]
    dry_run: Vec<String>,
}
const DELETE_OPTIONS_FIELDS: &[u32] = &[1, 2, 3, 4, 5];

/// `metav1.Preconditions` (uid 1, resourceVersion 2).
#[derive(Clone, PartialEq, Message)]
struct Preconditions {
    #[prost(string, optional, tag = "1")]
    uid: Option<String>,
    #[prost(string, optional, tag = "2")]
    resource_version: Option<String>,
}

/// Whether a request body is protobuf, by Content-Type or by the envelope's magic bytes.
pub fn is_protobuf(content_type: &str, body: &[u8]) -> bool {
    content_type.starts_with(CONTENT_TYPE) || body.starts_with(MAGIC)
}

fn object_meta(bytes: Option<Vec<u8>>) -> ApiResult<Value> {
    let meta: ObjectMeta = decode_checked(
        bytes.as_deref().unwrap_or_default(),
        OBJECT_META_FIELDS,
        "ObjectMeta",
    )?;
    let mut m = Map::new();
    put_str(&mut m, "name", meta.name);
    put_str(&mut m, "generateName", meta.generate_name);
    put_str(&mut m, "namespace", meta.namespace);
    put_str(&mut m, "uid", meta.uid);
    put_str(&mut m, "resourceVersion", meta.resource_version);
    put_map(&mut m, "labels", meta.labels);
    put_map(&mut m, "annotations", meta.annotations);
    if !meta.owner_references.is_empty() {
        let refs: Vec<Value> = meta
            .owner_references
            .into_iter()
            .map(|r| {
                let mut o = Map::new();
                put_str(&mut o, "apiVersion", r.api_version);
                put_str(&mut o, "kind", r.kind);
                put_str(&mut o, "name", r.name);
                put_str(&mut o, "uid", r.uid);
                if let Some(c) = r.controller {
                    o.insert("controller".into(), Value::Bool(c));
                }
                if let Some(b) = r.block_owner_deletion {
                    o.insert("blockOwnerDeletion".into(), Value::Bool(b));
                }
                Value::Object(o)
            })
            .collect();
        m.insert("ownerReferences".into(), Value::Array(refs));
    }
    if !meta.finalizers.is_empty() {
        m.insert("finalizers".into(), json!(meta.finalizers));
    }
    Ok(Value::Object(m))
}

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

/// Decode a [`WithSpec`] object named `what`, its spec by `spec`.
fn with_spec(raw: &[u8], what: &str, spec: fn(&[u8]) -> ApiResult<Value>) -> ApiResult<Value> {
    let o: WithSpec = decode_checked(raw, WITH_SPEC_FIELDS, what)?;
    let mut v = json!({"metadata": object_meta(o.metadata)?});
    if let Some(s) = o.spec {
        v["spec"] = spec(&s)?;
    }
    Ok(v)
}

/// The kinds of `services`, `rbac` and `auth` (the typed commands for Services,
/// ServiceAccounts, RBAC, tokens and reviews); `None` for any other kind.
fn decode_more(api_version: &str, kind: &str, raw: &[u8]) -> ApiResult<Option<Value>> {
    for decode in [services::decode, rbac::decode, auth::decode] {
        if let Some(o) = decode(api_version, kind, raw)? {
            return Ok(Some(o));
        }
    }
    Ok(None)
}

/// Byte values as JSON carries them (`[]byte` is standard base64).
fn base64_values(m: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    use base64::Engine as _;
    let enc = base64::engine::general_purpose::STANDARD;
    m.into_iter().map(|(k, v)| (k, enc.encode(v))).collect()
}

/// Decode a protobuf body into the JSON object the same request would have carried as JSON.
/// Kinds outside the modelled set get 415, naming JSON as the way to send them.
pub fn decode(body: &[u8]) -> ApiResult<Value> {
    let Some(envelope) = body.strip_prefix(MAGIC) else {
        return Err(ApiError::bad_request(
            "unable to decode protobuf body: missing the \"k8s\\x00\" prefix",
        ));
    };
    let unknown = Unknown::decode(envelope).map_err(|e| malformed("runtime.Unknown", e))?;
    if unknown
        .content_encoding
        .as_deref()
        .is_some_and(|e| !e.is_empty())
    {
        return Err(ApiError::bad_request(
            "protobuf bodies with a contentEncoding are not supported",
        ));
    }
    let tm = unknown.type_meta.unwrap_or_default();
    let api_version = tm.api_version.unwrap_or_default();
    let kind = tm.kind.unwrap_or_default();
    let raw = unknown.raw.unwrap_or_default();
    let mut obj = match (api_version.as_str(), kind.as_str()) {
        ("v1", "Namespace") => {
            let ns: Namespace = decode_checked(&raw, NAMESPACE_FIELDS, "Namespace")?;
            let mut o = json!({"metadata": object_meta(ns.metadata)?});
            if let Some(spec) = ns.spec.filter(|s| !s.finalizers.is_empty()) {
                o["spec"] = json!({"finalizers": spec.finalizers});
            }
            o
        }
        ("v1", "ConfigMap") => {
            let cm: ConfigMap = decode_checked(&raw, CONFIG_MAP_FIELDS, "ConfigMap")?;
            let mut o = json!({"metadata": object_meta(cm.metadata)?});
            if !cm.data.is_empty() {
                o["data"] = json!(cm.data);
            }
            if !cm.binary_data.is_empty() {
                o["binaryData"] = json!(base64_values(cm.binary_data));
            }
            if let Some(i) = cm.immutable {
                o["immutable"] = Value::Bool(i);
            }
            o
        }
        ("v1", "Secret") => {
            let sec: Secret = decode_checked(&raw, SECRET_FIELDS, "Secret")?;
            let mut o = json!({"metadata": object_meta(sec.metadata)?});
            if !sec.data.is_empty() {
                o["data"] = json!(base64_values(sec.data));
            }
            put_map(
                o.as_object_mut().expect("object"),
                "stringData",
                sec.string_data,
            );
            put_str(o.as_object_mut().expect("object"), "type", sec.r#type);
            if let Some(i) = sec.immutable {
                o["immutable"] = Value::Bool(i);
            }
            o
        }
        (_, "DeleteOptions") => {
            let d: DeleteOptions = decode_checked(&raw, DELETE_OPTIONS_FIELDS, "DeleteOptions")?;
            let mut o = Map::new();
            if let Some(g) = d.grace_period_seconds {
                o.insert("gracePeriodSeconds".into(), json!(g));
            }
            if let Some(p) = d.preconditions {
                let mut pm = Map::new();
                put_str(&mut pm, "uid", p.uid);
                put_str(&mut pm, "resourceVersion", p.resource_version);
                o.insert("preconditions".into(), Value::Object(pm));
            }
            if let Some(b) = d.orphan_dependents {
                o.insert("orphanDependents".into(), Value::Bool(b));
            }
            put_str(&mut o, "propagationPolicy", d.propagation_policy);
            if !d.dry_run.is_empty() {
                o.insert("dryRun".into(), json!(d.dry_run));
            }
            Value::Object(o)
        }
        _ => match decode_more(&api_version, &kind, &raw)? {
            Some(o) => o,
            None => {
                return Err(ApiError::unsupported_body(format!(
                    "the simulated API server decodes protobuf only for v1 Namespace, ConfigMap, Secret, Service, ServiceAccount, TokenRequest, the RBAC kinds, SelfSubjectAccessReview and DeleteOptions, not {api_version} {kind}; send it as application/json"
                )));
            }
        },
    };
    obj["apiVersion"] = Value::String(api_version);
    obj["kind"] = Value::String(kind);
    Ok(obj)
}

#[cfg(test)]
mod tests;
