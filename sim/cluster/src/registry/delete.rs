//! Deletes: DELETE with preconditions and propagation (background garbage collection of
//! dependents by ownerReferences, done synchronously; `Orphan` keeps them), DeleteCollection,
//! and namespace deletion in two phases as in Kubernetes: the namespace turns `Terminating`
//! (its `deletionTimestamp` set; NamespaceLifecycle admission then refuses new content) and the
//! controller loop deletes its contents and then the namespace ([`Cluster::finalize_namespaces`],
//! the namespace controller's job). A bare API server (no controllers) deletes at once.

use serde_json::{Value, json};

use super::{ListOptions, is_events_v1, present, storage_def_of};
use crate::error::ApiResult;
use crate::resources::{self, ResourceDef};
use crate::state::Cluster;
use crate::util;

/// Seconds a namespace stays `Terminating` before its contents go. The real namespace
/// controller works from a rate-limited queue and discovers every resource type before deleting
/// (kubernetes `pkg/controller/namespace/deletion`), so a client deleting a namespace and then
/// its objects (`kubectl delete -k`) finds them still there; so it does here.
pub const NAMESPACE_CLEANUP_DELAY_S: i64 = 2;

impl Cluster {
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
        let is_namespace = def.group.is_empty() && def.plural == "namespaces";
        if is_namespace && self.config.run_controllers {
            return self.mark_terminating(def, name, pre_rv, pre_uid);
        }
        let gone = self
            .store
            .delete(storage_def_of(def), ns, name, pre_rv, pre_uid)?;
        if is_namespace {
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
        resources::all().filter(|r| r.namespaced && !r.is_virtual() && !is_events_v1(r))
    }

    /// First phase of a namespace deletion: `deletionTimestamp` and phase `Terminating`; the
    /// answer is the namespace in that state (200), as the real server's.
    fn mark_terminating(
        &self,
        def: &'static ResourceDef,
        name: &str,
        pre_rv: Option<&str>,
        pre_uid: Option<&str>,
    ) -> ApiResult<Value> {
        let sdef = storage_def_of(def);
        let now = util::now_rfc3339();
        let marked = self.store.update_system(sdef, "", name, |old| {
            let rv_ok = pre_rv.is_none_or(|rv| util::str_at(old, "metadata.resourceVersion") == rv);
            let uid_ok = pre_uid.is_none_or(|uid| util::str_at(old, "metadata.uid") == uid);
            if !rv_ok || !uid_ok {
                return Err(crate::error::ApiError::conflict("", "namespaces", name));
            }
            let mut new = old.clone();
            if new.pointer("/metadata/deletionTimestamp").is_none() {
                new["metadata"]["deletionTimestamp"] = Value::String(now.clone());
                new["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            }
            util::obj_entry(&mut new, "status")["phase"] = json!("Terminating");
            Ok(new)
        })?;
        Ok(present(def, &marked))
    }

    /// Second phase, run by the controller loop: delete the contents of every namespace
    /// `Terminating` for at least [`NAMESPACE_CLEANUP_DELAY_S`], then the namespace.
    pub(crate) fn finalize_namespaces(&self) {
        let ns_def = crate::resources::by_storage("namespaces");
        let now = util::unix_now();
        for n in self.store.list(ns_def, None).0 {
            let since = util::parse_rfc3339(util::str_at(&n, "metadata.deletionTimestamp"));
            if since.is_none_or(|t| now - t < NAMESPACE_CLEANUP_DELAY_S) {
                continue;
            }
            let name = util::str_at(&n, "metadata.name").to_string();
            self.purge_namespace(&name);
            let _ = self.store.delete(ns_def, "", &name, None, None);
        }
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
}
