//! The write path: create, update (user and system) and delete, each atomic under the store's
//! lock. It owns the server's share of an object (uid, creationTimestamp, generation, the
//! identity fields a client may not change), the optimistic-concurrency checks (a stale
//! resourceVersion or a failed DeleteOptions precondition is 409 Conflict), and records each
//! change's watch event at its new version.

use std::sync::Arc;

use serde_json::Value;

use super::history::{EventType, StoredEvent};
use super::versions::rv_of;
use super::{Inner, Key, Store};
use crate::error::{ApiError, ApiResult};
use crate::resources::ResourceDef;
use crate::util;

fn key_of(obj: &Value) -> Key {
    (
        util::str_at(obj, "metadata.namespace").to_string(),
        util::str_at(obj, "metadata.name").to_string(),
    )
}

impl Store {
    /// Store `obj` under `key` and record its watch event at the version just bumped to.
    fn put(
        &self,
        inner: &mut Inner,
        def: &'static ResourceDef,
        key: Key,
        obj: Value,
        kind: EventType,
        prev: Option<Arc<Value>>,
    ) -> Arc<Value> {
        let stored = Arc::new(obj);
        inner
            .kind_mut(def.storage)
            .objects
            .insert(key, stored.clone());
        let (rv, object) = (inner.rv, stored.clone());
        self.record(
            inner,
            def.storage,
            StoredEvent {
                rv,
                kind,
                object,
                prev,
            },
        );
        stored
    }

    /// Store a new object: assigns resourceVersion, uid, creationTimestamp and generation.
    pub fn create(&self, def: &'static ResourceDef, mut obj: Value) -> ApiResult<Arc<Value>> {
        let key = key_of(&obj);
        let stored = {
            let mut inner = self.lock();
            if inner
                .kinds
                .get(def.storage)
                .is_some_and(|k| k.objects.contains_key(&key))
            {
                return Err(ApiError::already_exists(def.group, def.plural, &key.1));
            }
            let rv = Self::bump(&mut inner);
            let meta = util::obj_entry(&mut obj, "metadata");
            meta["resourceVersion"] = Value::String(rv.to_string());
            // A uid fixed by the registry before storing (the Job strategy names it in its
            // generated selector) is kept; otherwise one is assigned here.
            if meta
                .get("uid")
                .is_none_or(|u| u.as_str().is_none_or(str::is_empty))
            {
                meta["uid"] = Value::String(util::new_uid());
            }
            meta["creationTimestamp"] = Value::String(util::now_rfc3339());
            if obj.get("spec").is_some() {
                obj["metadata"]["generation"] = Value::from(1);
            }
            self.put(&mut inner, def, key, obj, EventType::Added, None)
        };
        self.publish();
        Ok(stored)
    }

    /// Read-modify-write one object atomically. `f` receives the stored object and returns the
    /// new one. A `metadata.resourceVersion` in the result that differs from the stored one is a
    /// stale write: 409 Conflict. A result equal to the stored object is a no-op and keeps the
    /// version (as the real server does for no-op updates).
    pub fn update<F>(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        f: F,
    ) -> ApiResult<Arc<Value>>
    where
        F: FnOnce(&Value) -> ApiResult<Value>,
    {
        self.write(def, ns, name, true, f)
    }

    /// As [`Self::update`], for system components: spec changes they make (a pod binding)
    /// do not count as a new generation, as the binding subresource does not.
    pub fn update_system<F>(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        f: F,
    ) -> ApiResult<Arc<Value>>
    where
        F: FnOnce(&Value) -> ApiResult<Value>,
    {
        self.write(def, ns, name, false, f)
    }

    fn write<F>(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        bump_generation: bool,
        f: F,
    ) -> ApiResult<Arc<Value>>
    where
        F: FnOnce(&Value) -> ApiResult<Value>,
    {
        let key = (ns.to_string(), name.to_string());
        let result = {
            let mut inner = self.lock();
            let old = inner
                .kinds
                .get(def.storage)
                .and_then(|k| k.objects.get(&key))
                .cloned()
                .ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
            let mut new = f(&old)?;
            let old_rv = rv_of(&old).unwrap_or("").to_string();
            if let Some(rv) = rv_of(&new)
                && rv != old_rv
            {
                return Err(ApiError::conflict(def.group, def.plural, name));
            }
            // Identity and bookkeeping fields are owned by the server.
            for f in [
                "uid",
                "creationTimestamp",
                "name",
                "namespace",
                "generation",
                "resourceVersion",
            ] {
                match old["metadata"].get(f) {
                    Some(v) => new["metadata"][f] = v.clone(),
                    None => {
                        if let Some(m) = new["metadata"].as_object_mut() {
                            m.remove(f);
                        }
                    }
                }
            }
            if new == *old {
                return Ok(old);
            }
            if bump_generation
                && new.get("spec") != old.get("spec")
                && old["metadata"].get("generation").is_some()
            {
                let g = old["metadata"]["generation"].as_i64().unwrap_or(1);
                new["metadata"]["generation"] = Value::from(g + 1);
            }
            let rv = Self::bump(&mut inner);
            new["metadata"]["resourceVersion"] = Value::String(rv.to_string());
            self.put(&mut inner, def, key, new, EventType::Modified, Some(old))
        };
        self.publish();
        Ok(result)
    }

    /// Remove an object. `expected_rv` / `expected_uid` are DeleteOptions preconditions.
    pub fn delete(
        &self,
        def: &'static ResourceDef,
        ns: &str,
        name: &str,
        expected_rv: Option<&str>,
        expected_uid: Option<&str>,
    ) -> ApiResult<Arc<Value>> {
        let key = (ns.to_string(), name.to_string());
        let out = {
            let mut inner = self.lock();
            let kind = inner.kind_mut(def.storage);
            let old = kind
                .objects
                .get(&key)
                .cloned()
                .ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
            if expected_rv.is_some_and(|rv| Some(rv) != rv_of(&old)) {
                return Err(ApiError::conflict(def.group, def.plural, name));
            }
            if expected_uid.is_some_and(|u| u != util::str_at(&old, "metadata.uid")) {
                return Err(ApiError::conflict(def.group, def.plural, name));
            }
            kind.objects.remove(&key);
            let rv = Self::bump(&mut inner);
            let mut gone = (*old).clone();
            gone["metadata"]["resourceVersion"] = Value::String(rv.to_string());
            let gone = Arc::new(gone);
            self.record(
                &mut inner,
                def.storage,
                StoredEvent {
                    rv,
                    kind: EventType::Deleted,
                    object: gone.clone(),
                    prev: Some(old),
                },
            );
            gone
        };
        self.publish();
        Ok(out)
    }
}
