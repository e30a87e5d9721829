//! Reads: GET of one object or its subresource view (`scale`), LIST with label and field
//! selectors and `limit`/`continue` paging, and LIST serialized straight from the store.

use std::sync::Arc;

use base64::Engine;
use serde_json::{Value, json};

use super::{ListOptions, Sub, is_events_v1, partial_metadata, present, storage_def_of};
use crate::error::{ApiError, ApiResult};
use crate::resources::{self, ResourceDef};
use crate::state::Cluster;
use crate::util;

fn scale_view(obj: &Value) -> Value {
    let sel_str = util::labels_string(obj.pointer("/spec/selector/matchLabels"));
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

pub(super) fn view(def: &ResourceDef, sub: Sub, obj: &Value) -> Value {
    match sub {
        Sub::Scale => scale_view(obj),
        _ => present(def, obj),
    }
}

impl Cluster {
    /// Whether `ns` is being deleted (its `deletionTimestamp` set).
    pub(super) fn namespace_terminating(&self, ns: &str) -> bool {
        self.store
            .get(resources::by_storage("namespaces"), "", ns)
            .is_some_and(|n| n.pointer("/metadata/deletionTimestamp").is_some())
    }

    pub(super) fn namespace_exists(&self, ns: &str) -> bool {
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
}
