//! The resource quota controller (kubernetes `pkg/controller/resourcequota`): keeps each
//! ResourceQuota's `status.hard` equal to `spec.hard` and `status.used` equal to what the
//! namespace's pods count against it (`admission::quota::pod_usage`, the same counting the
//! admission plugin uses). Every hard resource a pod is counted in gets a `used` entry, `0`
//! when nothing uses it. Object-count resources other than pods (`configmaps`, `count/…`) are
//! accepted by validation but neither counted nor enforced by the sim.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::admission::quota::{self, POD_RESOURCES};
use crate::quantity::Quantity;
use crate::resources;
use crate::state::Cluster;
use crate::util;

pub fn reconcile_all(c: &Cluster) {
    let quotas = c
        .store
        .list(resources::by_storage("resourcequotas"), None)
        .0;
    for q in quotas {
        let ns = util::str_at(&q, "metadata.namespace");
        let hard = q.pointer("/spec/hard").cloned().unwrap_or(Value::Null);
        let names: BTreeSet<&str> = hard
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .filter(|k| POD_RESOURCES.contains(k))
            .collect();
        let mut used = quota::Resources::new();
        for p in c.store.list(resources::by_storage("pods"), Some(ns)).0 {
            if quota::matches(&q, &p) {
                used = quota::add(&used, &quota::pod_usage(&p));
            }
        }
        used.retain(|k, _| names.contains(k.as_str()));
        for n in names {
            used.entry(n.to_string())
                .or_insert_with(|| Quantity::parse("0").expect("literal"));
        }
        let used = quota::to_json(&used);
        let name = util::str_at(&q, "metadata.name");
        let _ = c.internal_update("resourcequotas", ns, name, |o| {
            let st = util::obj_entry(o, "status");
            st["hard"] = hard;
            st["used"] = used;
        });
    }
}
