//! The registry: what the API server does with a request once routed. Type checks of the body,
//! namespaces, defaults, name generation, validation, subresources (`status`, `resize`, `scale`),
//! patches, deletes with garbage collection of dependents, and admission on pod CREATE. Both the
//! HTTP layer and the in-process controllers go through here, so controller-made pods see the
//! same admission and validation as user-made ones.

pub mod events;
pub mod pods;
pub mod validate;

use std::sync::Arc;

use base64::Engine;
use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::patch::{self, PatchKind};
use crate::resources::{self, RESOURCES, ResourceDef};
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
fn has_status_sub(def: &ResourceDef) -> bool {
    def.subresources.contains(&"status")
}

fn is_events_v1(def: &ResourceDef) -> bool {
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

/// Shape served for `def` → stored shape, with quantities in the server's stored form.
fn intake(def: &ResourceDef, obj: Value) -> Value {
    if is_events_v1(def) {
        events::to_core(&obj)
    } else {
        let mut obj = obj;
        canonicalize(def, &mut obj);
        obj
    }
}

/// Quantities of pod specs (pods, and the pod templates of Deployments and ReplicaSets) in the
/// form the API server stores after decoding.
fn canonicalize(def: &ResourceDef, obj: &mut Value) {
    let spec = match (def.group, def.plural) {
        ("", "pods") => obj.get_mut("spec"),
        ("apps", "deployments" | "replicasets") => obj.pointer_mut("/spec/template/spec"),
        _ => None,
    };
    if let Some(spec) = spec {
        pods::canonicalize_quantities(spec);
    }
}

/// The stored resource that `def` reads and writes (events.k8s.io shares core events).
pub fn storage_def_of(def: &'static ResourceDef) -> &'static ResourceDef {
    if is_events_v1(def) {
        resources::by_storage("events")
    } else {
        def
    }
}

/// Reject bodies that are not objects of this resource's apiVersion and kind.
fn check_type(def: &ResourceDef, body: &mut Value) -> ApiResult<()> {
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

fn invalid(def: &ResourceDef, name: &str, errs: Vec<FieldError>) -> ApiResult<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(def.group, def.kind, name, errs))
    }
}

/// Kind-specific validation of a whole object (create and update).
fn validate_object(def: &ResourceDef, obj: &Value) -> ApiResult<()> {
    let name = util::str_at(obj, "metadata.name");
    let mut errs = validate::validate_name(def, name);
    match (def.group, def.plural) {
        ("", "configmaps") => errs.extend(validate::validate_configmap(obj)),
        ("", "pods") => errs.extend(pods::validate_spec(&obj["spec"])),
        ("apps", _) => errs.extend(validate::validate_workload(obj)),
        ("admissionregistration.k8s.io", _) => {
            errs.extend(validate::validate_webhook_configuration(obj))
        }
        _ => {}
    }
    invalid(def, name, errs)
}

/// Create-time defaults per kind.
fn prepare_create(def: &ResourceDef, obj: &mut Value) {
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
        ("apps", _) => {
            if obj.pointer("/spec/replicas").is_none() {
                util::obj_entry(obj, "spec")["replicas"] = json!(1);
            }
            if def.plural == "deployments" {
                let spec = util::obj_entry(obj, "spec");
                if spec.get("revisionHistoryLimit").is_none() {
                    spec["revisionHistoryLimit"] = json!(10);
                }
                if spec.get("strategy").is_none() {
                    spec["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}});
                }
            }
            obj["status"] = json!({});
        }
        _ => {}
    }
}

fn scale_view(obj: &Value) -> Value {
    let sel_str = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {
            "name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"],
            "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"],
            "creationTimestamp": obj["metadata"]["creationTimestamp"],
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": sel_str},
    })
}

fn view(def: &ResourceDef, sub: Sub, obj: &Value) -> Value {
    match sub {
        Sub::Scale => scale_view(obj),
        _ => present(def, obj),
    }
}

fn carry_rv(new: &mut Value, cand: &Value) {
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

impl Cluster {
    fn namespace_exists(&self, ns: &str) -> bool {
        self.store
            .get(resources::by_storage("namespaces"), "", ns)
            .is_some()
    }

    /// GET one object (or its subresource view).
    pub fn get(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        sub: Sub,
    ) -> ApiResult<Value> {
        let sdef = storage_def_of(def);
        let obj = self
            .store
            .get(sdef, ns, name)
            .ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
        Ok(view(def, sub, &obj))
    }

    /// LIST with selectors and paging. Returns the list object.
    pub fn list(
        &self,
        def: &'static ResourceDef,
        ns: Option<&str>,
        opts: &ListOptions,
    ) -> ApiResult<Value> {
        let (items, meta) = self.select(def, ns, opts)?;
        let items = items.iter().map(|o| present(def, o)).collect();
        Ok(def.list_object(meta, items))
    }

    /// [`Self::list`] serialized straight from the stored objects, without copying them (the
    /// copy and its drop were most of the cost of a 10,000-pod list), where the served shape is
    /// the stored one.
    /// With `metadata_only`, a `PartialObjectMetadataList` (`as=PartialObjectMetadataList`).
    pub fn list_json(
        &self,
        def: &'static ResourceDef,
        ns: Option<&str>,
        opts: &ListOptions,
        metadata_only: bool,
    ) -> ApiResult<Vec<u8>> {
        #[derive(serde::Serialize)]
        struct ListOut<'a> {
            kind: String,
            #[serde(rename = "apiVersion")]
            api_version: String,
            metadata: Value,
            items: Vec<&'a Value>,
        }
        let bytes = if metadata_only {
            let (items, metadata) = self.select(def, ns, opts)?;
            let mut list =
                json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1"});
            list["metadata"] = metadata;
            list["items"] = Value::Array(items.iter().map(|o| partial_metadata(o)).collect());
            serde_json::to_vec(&list)
        } else if is_events_v1(def) {
            serde_json::to_vec(&self.list(def, ns, opts)?)
        } else {
            let (items, metadata) = self.select(def, ns, opts)?;
            serde_json::to_vec(&ListOut {
                kind: def.list_kind(),
                api_version: def.api_version(),
                metadata,
                items: items.iter().map(|o| &**o).collect(),
            })
        };
        bytes.map_err(|e| ApiError::internal(e.to_string()))
    }

    /// The stored objects a LIST returns (selectors, `limit`, `continue`) and the list metadata.
    fn select(
        &self,
        def: &'static ResourceDef,
        ns: Option<&str>,
        opts: &ListOptions,
    ) -> ApiResult<(Vec<Arc<Value>>, Value)> {
        let sdef = storage_def_of(def);
        let (items, rv) = self.store.list(sdef, ns);
        let after: Option<(String, String)> = match &opts.continue_token {
            None => None,
            Some(t) => {
                let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(t)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        ApiError::bad_request("continue key is not valid: illegal base64 data")
                    })?;
                let (a, b) = raw.split_once('/').unwrap_or(("", &raw));
                Some((a.to_string(), b.to_string()))
            }
        };
        let mut out: Vec<Arc<Value>> = Vec::new();
        let mut next = None;
        let mut remaining = 0usize;
        for o in items.iter() {
            if let Some((a_ns, a_name)) = &after {
                let key = (
                    util::str_at(o, "metadata.namespace"),
                    util::str_at(o, "metadata.name"),
                );
                if key <= (a_ns.as_str(), a_name.as_str()) {
                    continue;
                }
            }
            if !opts.labels.matches_object(o) || !opts.fields.matches(o) {
                continue;
            }
            if opts.limit.is_some_and(|l| l > 0 && out.len() >= l) {
                remaining += 1;
                if next.is_none() {
                    let last: &Value = out.last().unwrap_or(o);
                    let k = format!(
                        "{}/{}",
                        util::str_at(last, "metadata.namespace"),
                        util::str_at(last, "metadata.name")
                    );
                    next = Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k));
                }
                continue;
            }
            out.push(o.clone());
        }
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if let Some(n) = next {
            meta["continue"] = Value::String(n);
            meta["remainingItemCount"] = json!(remaining);
        }
        Ok((out, meta))
    }

    /// CREATE. Pods go through mutating admission first (before name generation, as in the real
    /// server where `BeforeCreate` generates names after admission).
    pub async fn create(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        mut body: Value,
    ) -> ApiResult<Value> {
        check_type(def, &mut body)?;
        let mut obj = intake(def, body);
        if def.namespaced {
            let body_ns = util::str_at(&obj, "metadata.namespace");
            if !body_ns.is_empty() && body_ns != ns {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            if !self.namespace_exists(ns) {
                return Err(ApiError::not_found("", "namespaces", ns));
            }
        } else if let Some(m) = obj["metadata"].as_object_mut() {
            m.remove("namespace");
        }
        if let Some(m) = obj["metadata"].as_object_mut() {
            for f in [
                "resourceVersion",
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "generation",
            ] {
                m.remove(f);
            }
        }
        prepare_create(def, &mut obj);
        if def.group.is_empty() && def.plural == "pods" {
            obj = self.admit_pod_create(ns, obj).await?;
            // The server decodes the mutated object again, so patched quantities are stored in
            // its form too. Admission may have changed resources; the QoS class follows.
            canonicalize(def, &mut obj);
            obj["status"]["qosClass"] = json!(pods::compute_qos(&obj["spec"]));
        }
        if def.namespaced {
            obj["metadata"]["namespace"] = Value::String(ns.into());
        }
        let generate = util::str_at(&obj, "metadata.generateName").to_string();
        let explicit = util::str_at(&obj, "metadata.name").to_string();
        if explicit.is_empty() && generate.is_empty() {
            return invalid(
                def,
                "",
                vec![FieldError::required(
                    "metadata.name",
                    "name or generateName is required",
                )],
            )
            .map(|_| Value::Null);
        }
        // Generated names can collide; the real server then answers 409 with a retry hint.
        // Retrying a few times here keeps clients from ever seeing that in practice.
        for _ in 0..8 {
            if explicit.is_empty() {
                obj["metadata"]["name"] = Value::String(util::generate_name(&generate));
            }
            validate_object(def, &obj)?;
            match self.store.create(storage_def_of(def), obj.clone()) {
                Ok(stored) => return Ok(present(def, &stored)),
                Err(e) if e.reason == "AlreadyExists" && explicit.is_empty() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ApiError::custom(
            409,
            "AlreadyExists",
            "could not generate a unique name",
        ))
    }

    /// Compute the stored object for a write of `cand` (a full view of `sub`) over `old`.
    fn merge_write(
        &self,
        def: &'static ResourceDef,
        sub: Sub,
        old: &Value,
        cand: Value,
        url_name: &str,
    ) -> ApiResult<Value> {
        let name = util::str_at(old, "metadata.name").to_string();
        match sub {
            Sub::Main => {
                let mut cand = cand;
                check_type(def, &mut cand)?;
                let cand_name = util::str_at(&cand, "metadata.name");
                if !cand_name.is_empty() && cand_name != url_name {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({cand_name}) does not match the name on the URL ({url_name})"
                    )));
                }
                let mut new = intake(def, cand);
                if has_status_sub(def) {
                    match old.get("status") {
                        Some(s) => new["status"] = s.clone(),
                        None => {
                            if let Some(m) = new.as_object_mut() {
                                m.remove("status");
                            }
                        }
                    }
                }
                new["metadata"]["name"] = Value::String(name.clone());
                validate_object(def, &new)?;
                if def.group.is_empty() && def.plural == "pods" {
                    invalid(def, &name, pods::validate_update(old, &new))?;
                }
                if def.group == "apps"
                    && new.pointer("/spec/selector") != old.pointer("/spec/selector")
                {
                    invalid(
                        def,
                        &name,
                        vec![FieldError::invalid(
                            "spec.selector",
                            new.pointer("/spec/selector")
                                .map(Value::to_string)
                                .unwrap_or_default(),
                            "field is immutable",
                        )],
                    )?;
                }
                Ok(new)
            }
            Sub::Status => {
                let mut new = old.clone();
                new["status"] = cand.get("status").cloned().unwrap_or(json!({}));
                carry_rv(&mut new, &cand);
                Ok(new)
            }
            Sub::Resize => {
                let mut new = old.clone();
                if let Some(cs) = cand.pointer("/spec/containers") {
                    new["spec"]["containers"] = cs.clone();
                }
                if let Some(cs) = cand.pointer("/spec/initContainers") {
                    new["spec"]["initContainers"] = cs.clone();
                }
                canonicalize(def, &mut new);
                carry_rv(&mut new, &cand);
                invalid(
                    def,
                    &name,
                    pods::validate_resize(old, &new, self.config.version),
                )?;
                Ok(new)
            }
            Sub::Scale => {
                let replicas = cand
                    .pointer("/spec/replicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if replicas < 0 {
                    return Err(ApiError::invalid(
                        "autoscaling",
                        "Scale",
                        &name,
                        vec![FieldError::invalid(
                            "spec.replicas",
                            replicas.to_string(),
                            "must be greater than or equal to 0",
                        )],
                    ));
                }
                let mut new = old.clone();
                new["spec"]["replicas"] = json!(replicas);
                carry_rv(&mut new, &cand);
                Ok(new)
            }
        }
    }

    /// PUT.
    pub fn replace(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        sub: Sub,
        body: Value,
    ) -> ApiResult<Value> {
        let stored = self.store.update(storage_def_of(def), ns, name, |old| {
            self.merge_write(def, sub, old, body, name)
        })?;
        Ok(view(def, sub, &stored))
    }

    /// PATCH, including server-side apply with create-if-missing.
    pub async fn patch(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        sub: Sub,
        req: PatchRequest<'_>,
    ) -> ApiResult<Value> {
        let PatchRequest {
            kind,
            body,
            field_manager,
        } = req;
        if kind == PatchKind::Apply && field_manager.is_none_or(str::is_empty) {
            return Err(ApiError::invalid(
                "meta.k8s.io",
                "PatchOptions",
                "",
                vec![FieldError::required(
                    "fieldManager",
                    "is required for apply patch",
                )],
            ));
        }
        let sdef = storage_def_of(def);
        if kind == PatchKind::Apply && sub == Sub::Main && self.store.get(sdef, ns, name).is_none()
        {
            let mut obj = patch::apply(kind, &json!({}), body)?;
            util::obj_entry(&mut obj, "metadata")["name"] = Value::String(name.into());
            return self.create(def, ns, obj).await;
        }
        let stored = self.store.update(sdef, ns, name, |old| {
            let cand = patch::apply(kind, &view(def, sub, old), body)?;
            self.merge_write(def, sub, old, cand, name)
        })?;
        Ok(view(def, sub, &stored))
    }

    /// DELETE, with background garbage collection of dependents (ownerReferences) and of a
    /// namespace's contents, done synchronously here.
    pub fn delete(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        options: Option<&Value>,
    ) -> ApiResult<Value> {
        let pre_rv = options
            .and_then(|o| o.pointer("/preconditions/resourceVersion"))
            .and_then(Value::as_str);
        let pre_uid = options
            .and_then(|o| o.pointer("/preconditions/uid"))
            .and_then(Value::as_str);
        let orphan = options
            .and_then(|o| o.get("propagationPolicy"))
            .and_then(Value::as_str)
            == Some("Orphan")
            || options
                .and_then(|o| o.get("orphanDependents"))
                .and_then(Value::as_bool)
                == Some(true);
        let gone = self
            .store
            .delete(storage_def_of(def), ns, name, pre_rv, pre_uid)?;
        if def.group.is_empty() && def.plural == "namespaces" {
            self.purge_namespace(name);
        } else if !orphan {
            self.collect_dependents(ns, util::str_at(&gone, "metadata.uid"));
        }
        Ok(present(def, &gone))
    }

    /// DELETE on a collection.
    pub fn delete_collection(
        &self,
        def: &'static ResourceDef,
        ns: Option<&str>,
        opts: &ListOptions,
    ) -> ApiResult<Value> {
        let list = self.list(def, ns, opts)?;
        let mut deleted = Vec::new();
        for item in list["items"].as_array().into_iter().flatten() {
            let (ins, iname) = (
                util::str_at(item, "metadata.namespace"),
                util::str_at(item, "metadata.name"),
            );
            if let Ok(d) = self.delete(def, ins, iname, None) {
                deleted.push(d);
            }
        }
        let meta = json!({"resourceVersion": self.store.current_rv().to_string()});
        Ok(def.list_object(meta, deleted))
    }

    fn stored_namespaced() -> impl Iterator<Item = &'static ResourceDef> {
        RESOURCES
            .iter()
            .filter(|r| r.namespaced && !r.is_virtual() && !is_events_v1(r))
    }

    fn purge_namespace(&self, ns: &str) {
        for def in Self::stored_namespaced() {
            for obj in self.store.list(def, Some(ns)).0 {
                let _ = self
                    .store
                    .delete(def, ns, util::str_at(&obj, "metadata.name"), None, None);
            }
        }
    }

    fn collect_dependents(&self, ns: &str, owner_uid: &str) {
        if owner_uid.is_empty() {
            return;
        }
        for def in Self::stored_namespaced() {
            for obj in self.store.list(def, Some(ns)).0 {
                let owned = obj
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| refs.iter().any(|r| util::str_at(r, "uid") == owner_uid));
                if owned
                    && let Ok(gone) =
                        self.store
                            .delete(def, ns, util::str_at(&obj, "metadata.name"), None, None)
                {
                    self.collect_dependents(ns, util::str_at(&gone, "metadata.uid"));
                }
            }
        }
    }

    /// Internal write used by controllers and the kubelet: read-modify-write without the
    /// user-facing rules (they act as privileged components writing status and bindings).
    pub(crate) fn internal_update<F>(
        &self,
        storage: &str,
        ns: &str,
        name: &str,
        f: F,
    ) -> ApiResult<Arc<Value>>
    where
        F: FnOnce(&mut Value),
    {
        self.store
            .update_system(resources::by_storage(storage), ns, name, |old| {
                let mut new = old.clone();
                f(&mut new);
                Ok(new)
            })
    }
}
