//! ControllerRevisions of StatefulSets and DaemonSets (kubernetes `pkg/controller/history`):
//! one per distinct pod template, named `<owner>-<hash>` (`ControllerRevisionName`), owned by
//! the workload, carrying the template as a patch (`{"spec":{"template":{…,"$patch":
//! "replace"}}}`, `getPatch`) and a revision number one above the newest. The hash is the same
//! FNV-32a + safe encoding the Deployment controller uses for `pod-template-hash`.

use serde_json::{Value, json};

use super::common::owned;
use super::controller_ref;
use super::deployment::template_hash;
use crate::error::ApiResult;
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// `ControllerRevisionHashLabel` on the revision (1.31+).
const HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// The current revision of `owner`: (revision name, hash), created if its template is new.
pub async fn ensure(c: &Cluster, owner: &Value) -> ApiResult<(String, String)> {
    let ns = util::str_at(owner, "metadata.namespace");
    let name = util::str_at(owner, "metadata.name");
    let uid = util::str_at(owner, "metadata.uid");
    let template = owner
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(json!({}));
    let hash = template_hash(&template);
    let rev_name = format!("{name}-{hash}");
    let revisions = owned(c, "controllerrevisions", ns, uid);
    if revisions
        .iter()
        .any(|r| util::str_at(r, "metadata.name") == rev_name)
    {
        return Ok((rev_name, hash));
    }
    let next = revisions
        .iter()
        .filter_map(|r| r.get("revision").and_then(Value::as_i64))
        .max()
        .unwrap_or(0)
        + 1;
    let mut labels = template
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    labels[HASH_LABEL] = json!(hash);
    let mut patch_template = template;
    patch_template["$patch"] = json!("replace");
    let rev = json!({
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {"name": rev_name, "labels": labels, "ownerReferences": [controller_ref(owner)]},
        "data": {"spec": {"template": patch_template}},
        "revision": next,
    });
    match c
        .create(resources::by_storage("controllerrevisions"), ns, rev)
        .await
    {
        Ok(_) => Ok((rev_name, hash)),
        Err(e) if e.reason == "AlreadyExists" => Ok((rev_name, hash)),
        Err(e) => Err(e),
    }
}
