//! Deletes: DELETE with preconditions and propagation (background garbage collection of
//! dependents by ownerReferences, done synchronously; `Orphan` keeps them), DeleteCollection,
//! and deletion of a namespace's contents with the namespace.

use serde_json::{Value, json};

use super::{ListOptions, is_events_v1, present, storage_def_of};
use crate::error::ApiResult;
use crate::resources::{RESOURCES, ResourceDef};
use crate::state::Cluster;
use crate::util;

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
}
