//! Writes: CREATE (type checks, namespace, create-time defaults, mutating admission for pods,
//! name generation, validation), PUT and PATCH of an object or its `status`, `resize` and
//! `scale` subresources (server-side apply creates when missing), and the privileged
//! read-modify-write the controllers and the kubelet use for status and bindings.

use std::sync::Arc;

use serde_json::{Value, json};

use super::intake::{canonicalize, carry_rv, check_type, intake, prepare_create};
use super::read::view;
use super::{
    PatchRequest, Sub, has_status_sub, invalid, pods, present, storage_def_of, validate_object,
};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::patch::{self, PatchKind};
use crate::resources::{self, ResourceDef};
use crate::state::Cluster;
use crate::util;

impl Cluster {
    /// CREATE. Pods go through mutating admission first (before name generation, as in the real
    /// server where `BeforeCreate` generates names after admission).
    pub async fn create(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        mut body: Value,
    ) -> ApiResult<Value> {
        check_type(def, &mut body)?;
        let mut obj = intake(def, body)?;
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
            // NamespaceLifecycle admission (kubernetes `plugin/pkg/admission/namespace/lifecycle`).
            if self.namespace_terminating(ns) {
                return Err(ApiError::forbidden_object(
                    def.group,
                    def.plural,
                    util::str_at(&obj, "metadata.name"),
                    &format!(
                        "unable to create new content in namespace {ns} because it is being terminated"
                    ),
                ));
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
        let is_pod = def.group.is_empty() && def.plural == "pods";
        if is_pod {
            self.limit_range_defaults(ns, &mut obj);
            obj = self.admit_pod_create(ns, obj).await?;
            // The server decodes the mutated object again, so patched quantities are stored in
            // its form too. Admission may have changed resources; the QoS class follows.
            canonicalize(def, &mut obj);
            obj["status"]["qosClass"] = json!(pods::compute_qos(&obj["spec"]));
        }
        if def.namespaced {
            obj["metadata"]["namespace"] = Value::String(ns.into());
        }
        if (def.group, def.plural) == ("", "services") {
            self.allocate_service(&mut obj)?;
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
        let policy = is_pod.then(|| self.pod_policy(ns));
        for _ in 0..8 {
            if explicit.is_empty() {
                obj["metadata"]["name"] = Value::String(util::generate_name(&generate));
            }
            validate_object(def, &obj)?;
            let used = match &policy {
                Some(p) => p.admit(None, &obj)?,
                None => Vec::new(),
            };
            match self.store.create(storage_def_of(def), obj.clone()) {
                Ok(stored) => {
                    self.record_quota_usage(ns, used);
                    if (def.group, def.plural) == ("", "namespaces") {
                        self.ensure_default_service_account(util::str_at(&stored, "metadata.name"));
                    }
                    return Ok(present(def, &stored));
                }
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
                let mut new = intake(def, cand)?;
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
                if (def.group, def.plural) == ("", "services") {
                    super::services::carry_allocations(old, &mut new);
                }
                validate_object(def, &new)?;
                match (def.group, def.plural) {
                    ("", "pods") => invalid(def, &name, pods::validate_update(old, &new))?,
                    ("", "secrets") => {
                        invalid(def, &name, super::secrets::validate_update(old, &new))?
                    }
                    ("", "services") => {
                        invalid(def, &name, super::services::validate_update(old, &new))?
                    }
                    (resources::RBAC_GROUP, "rolebindings" | "clusterrolebindings") => {
                        invalid(def, &name, super::rbac::validate_binding_update(old, &new))?
                    }
                    _ => {}
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
        let policy = (sub == Sub::Resize).then(|| self.pod_policy(ns));
        let mut used = Vec::new();
        let stored = self.store.update(storage_def_of(def), ns, name, |old| {
            let new = self.merge_write(def, sub, old, body, name)?;
            if let Some(p) = &policy {
                used = p.admit(Some(old), &new)?;
            }
            Ok(new)
        })?;
        self.record_quota_usage(ns, used);
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
            let mut obj = patch::apply(kind, def.kind, &json!({}), body)?;
            util::obj_entry(&mut obj, "metadata")["name"] = Value::String(name.into());
            return self.create(def, ns, obj).await;
        }
        let policy = (sub == Sub::Resize).then(|| self.pod_policy(ns));
        let mut used = Vec::new();
        let stored = self.store.update(sdef, ns, name, |old| {
            // The scale subresource is an autoscaling/v1 Scale (no patch metadata of its own).
            let go_type = if sub == Sub::Scale { "Scale" } else { def.kind };
            let cand = patch::apply(kind, go_type, &view(def, sub, old), body)?;
            let new = self.merge_write(def, sub, old, cand, name)?;
            if let Some(p) = &policy {
                used = p.admit(Some(old), &new)?;
            }
            Ok(new)
        })?;
        self.record_quota_usage(ns, used);
        Ok(view(def, sub, &stored))
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
