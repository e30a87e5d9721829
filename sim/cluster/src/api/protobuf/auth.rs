//! Protobuf bodies of the authentication and authorization kinds, as kubectl sends them:
//! TokenRequest (`kubectl create token`), SelfSubjectAccessReview (`kubectl auth can-i`) and
//! SelfSubjectReview (`kubectl auth whoami`). Field numbers are those of k8s.io/api
//! `authentication/v1` and `authorization/v1` `generated.proto`; each message accepts the fields
//! kubectl writes and keeps those that carry a value.

use prost::Message;
use serde_json::{Map, Value, json};

use super::wire::{decode_checked, malformed, obj, put_list};
use super::{WithSpec, object_meta, with_spec};
use crate::error::ApiResult;

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

fn token_spec(bytes: &[u8]) -> ApiResult<Value> {
    let s = TokenRequestSpec::decode(bytes).map_err(|e| malformed("TokenRequestSpec", e))?;
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
    let s =
        AccessReviewSpec::decode(bytes).map_err(|e| malformed("SelfSubjectAccessReviewSpec", e))?;
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

/// Decode `raw` of `api_version`/`kind` if it is a TokenRequest, SelfSubjectAccessReview or
/// SelfSubjectReview.
pub(super) fn decode(api_version: &str, kind: &str, raw: &[u8]) -> ApiResult<Option<Value>> {
    Ok(Some(match (api_version, kind) {
        ("authentication.k8s.io/v1", "TokenRequest") => with_spec(raw, "TokenRequest", token_spec)?,
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => {
            with_spec(raw, "SelfSubjectAccessReview", review_spec)?
        }
        // `authentication/v1.SelfSubjectReview`: metadata 1, status 2 (server-owned).
        ("authentication.k8s.io/v1", "SelfSubjectReview") => {
            let o: WithSpec = decode_checked(raw, &[1, 2], "SelfSubjectReview")?;
            json!({"metadata": object_meta(o.metadata)?})
        }
        _ => return Ok(None),
    }))
}
