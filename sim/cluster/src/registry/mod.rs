//! The registry: what the API server does with a request once routed. Type checks of the body,
//! namespaces, defaults, name generation, validation, subresources (`status`, `resize`, `scale`),
//! patches, deletes with garbage collection of dependents, and admission on pod CREATE. Both the
//! HTTP layer and the in-process controllers go through here, so controller-made pods see the
//! same admission and validation as user-made ones.
//!
//! Split by job: `read` (GET, LIST with selectors and paging, subresource views), `write`
//! (CREATE with defaults and admission, PUT, PATCH, subresource writes, the components'
//! privileged status writes), `delete` (DELETE, DeleteCollection, garbage collection of
//! dependents and namespace contents). Kind rules live beside them: `pods`, `validate`,
//! `events`. This module holds what all three share: request types, the served ↔ stored shape,
//! and whole-object validation.

mod delete;
pub mod events;
mod intake;
mod kinds;
mod pod_resources;
pub mod pods;
pub mod rbac;
mod read;
pub mod secrets;
pub mod service_accounts;
pub mod services;
pub mod validate;
mod workload_kinds;
mod write;

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, FieldError};
use crate::patch::PatchKind;
use crate::resources::{self, ResourceDef};
use crate::selector::{FieldSelector, LabelSelector};
use crate::util;

/// Which part of an object a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    Main,
    Status,
    Resize,
    Scale,
}

impl Sub {
    /// Parse a subresource path segment, accepting only those the resource serves.
    pub fn parse(def: &ResourceDef, s: Option<&str>) -> ApiResult<Sub> {
        let Some(s) = s else { return Ok(Sub::Main) };
        if !def.subresources.contains(&s) {
            return Err(ApiError::no_route());
        }
        Ok(match s {
            "status" => Sub::Status,
            "resize" => Sub::Resize,
            "scale" => Sub::Scale,
            _ => return Err(ApiError::no_route()),
        })
    }
}

/// Parsed list options.
#[derive(Debug, Default)]
pub struct ListOptions {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
}

/// A PATCH body with its type and the `fieldManager` query parameter.
pub struct PatchRequest<'a> {
    pub kind: PatchKind,
    pub body: &'a [u8],
    pub field_manager: Option<&'a str>,
}

/// Resources whose main endpoint ignores `status` on write (they have a status subresource).
pub(super) fn has_status_sub(def: &ResourceDef) -> bool {
    def.subresources.contains(&"status")
}

pub(super) fn is_events_v1(def: &ResourceDef) -> bool {
    def.group == "events.k8s.io"
}

/// Stored shape → shape served for `def`.
pub fn present(def: &ResourceDef, obj: &Value) -> Value {
    if is_events_v1(def) {
        events::from_core(obj)
    } else {
        obj.clone()
    }
}

/// `meta.k8s.io/v1` `PartialObjectMetadata` of an object: what a client asking for
/// `Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1` gets (kube-rs
/// `get_metadata`, `watch_metadata`, client-go metadata informers).
pub fn partial_metadata(obj: &Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("kind".into(), Value::String("PartialObjectMetadata".into()));
    m.insert("apiVersion".into(), Value::String("meta.k8s.io/v1".into()));
    m.insert(
        "metadata".into(),
        obj.get("metadata").cloned().unwrap_or(json!({})),
    );
    Value::Object(m)
}

/// The stored resource that `def` reads and writes (events.k8s.io shares core events).
pub fn storage_def_of(def: &'static ResourceDef) -> &'static ResourceDef {
    if is_events_v1(def) {
        resources::by_storage("events")
    } else {
        def
    }
}

pub(super) fn invalid(def: &ResourceDef, name: &str, errs: Vec<FieldError>) -> ApiResult<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(def.group, def.kind, name, errs))
    }
}

/// Kind-specific validation of a whole object (create and update).
pub(super) fn validate_object(def: &ResourceDef, obj: &Value) -> ApiResult<()> {
    let name = util::str_at(obj, "metadata.name");
    let mut errs = validate::validate_name(def, name);
    match (def.group, def.plural) {
        ("", "configmaps") => errs.extend(validate::validate_configmap(obj)),
        ("", "secrets") => errs.extend(secrets::validate(obj)),
        ("", "services") => errs.extend(services::validate(obj)),
        (resources::RBAC_GROUP, "roles" | "clusterroles") => {
            errs.extend(rbac::validate_role(obj, def.namespaced))
        }
        (resources::RBAC_GROUP, _) => errs.extend(rbac::validate_binding(obj, def.namespaced)),
        ("", "pods") => errs.extend(pods::validate_spec(&obj["spec"])),
        ("apps", "deployments" | "replicasets") => errs.extend(validate::validate_workload(obj)),
        ("admissionregistration.k8s.io", _) => {
            errs.extend(validate::validate_webhook_configuration(obj))
        }
        _ => errs.extend(kinds::validate(def, obj).unwrap_or_default()),
    }
    invalid(def, name, errs)
}
