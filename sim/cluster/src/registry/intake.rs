//! The object as received, before the write path stores it: type checks of the body
//! (apiVersion, kind, metadata), the served → stored shape with quantities in the server's
//! canonical form, per-kind write-time and create-time defaults, and carrying the client's
//! resourceVersion into an update. Used by `write` for CREATE, PUT and PATCH.

use serde_json::{Value, json};

use super::{is_events_v1, pods};
use crate::error::{ApiError, ApiResult};
use crate::resources::ResourceDef;
use crate::util;

/// Shape served for `def` → stored shape, with quantities in the server's stored form (and
/// Secrets decoded and converted, `secrets::intake`).
pub(super) fn intake(def: &ResourceDef, obj: Value) -> ApiResult<Value> {
    if is_events_v1(def) {
        Ok(super::events::to_core(&obj))
    } else {
        let mut obj = obj;
        canonicalize(def, &mut obj);
        super::kinds::default_on_write(def, &mut obj);
        if (def.group, def.plural) == ("", "secrets") {
            super::secrets::intake(&mut obj)?;
        }
        if (def.group, def.plural) == ("", "services") {
            super::services::default_fields(&mut obj);
        }
        Ok(obj)
    }
}

/// Quantities of pod specs (pods, and the pod templates of workloads) in the form the API
/// server stores after decoding.
pub(super) fn canonicalize(def: &ResourceDef, obj: &mut Value) {
    let spec = match (def.group, def.plural) {
        ("", "pods") => obj.get_mut("spec"),
        _ => super::kinds::pod_spec_mut(def, obj),
    };
    if let Some(spec) = spec {
        pods::canonicalize_quantities(spec);
    }
}

/// Reject bodies that are not objects of this resource's apiVersion and kind.
pub(super) fn check_type(def: &ResourceDef, body: &mut Value) -> ApiResult<()> {
    let Some(m) = body.as_object_mut() else {
        return Err(ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {})",
            def.kind
        )));
    };
    let want_av = def.api_version();
    match m.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => {
            m.insert("apiVersion".into(), Value::String(want_av));
        }
        Some(av) if av != want_av => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({want_av})"
            )));
        }
        _ => {}
    }
    match m.get("kind").and_then(Value::as_str) {
        None | Some("") => {
            m.insert("kind".into(), Value::String(def.kind.into()));
        }
        Some(k) if k != def.kind => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                def.kind
            )));
        }
        _ => {}
    }
    match m.get("metadata") {
        None => {
            m.insert("metadata".into(), json!({}));
        }
        Some(Value::Object(_)) => {}
        Some(_) => return Err(ApiError::bad_request("metadata must be an object")),
    }
    Ok(())
}

/// Create-time defaults per kind.
pub(super) fn prepare_create(def: &ResourceDef, obj: &mut Value) {
    if super::kinds::prepare_create(def, obj) {
        return;
    }
    match (def.group, def.plural) {
        ("", "pods") => pods::prepare_create(obj),
        ("", "namespaces") => {
            // Every namespace carries `kubernetes.io/metadata.name` (core/v1 LabelMetadataName),
            // which webhook namespaceSelectors rely on.
            let name = util::str_at(obj, "metadata.name").to_string();
            util::obj_entry(util::obj_entry(obj, "metadata"), "labels")["kubernetes.io/metadata.name"] =
                Value::String(name);
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
            obj["status"] = json!({"phase": "Active"});
        }
        _ => {}
    }
}

pub(super) fn carry_rv(new: &mut Value, cand: &Value) {
    match cand
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
    {
        Some(rv) if !rv.is_empty() => new["metadata"]["resourceVersion"] = Value::String(rv.into()),
        _ => {
            if let Some(m) = new["metadata"].as_object_mut() {
                m.remove("resourceVersion");
            }
        }
    }
}
