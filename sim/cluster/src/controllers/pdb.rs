//! Disruption controller, status half (kubernetes `pkg/controller/disruption`): each
//! PodDisruptionBudget's `expectedPods`, `currentHealthy` (matching pods that are Ready),
//! `desiredHealthy` and `disruptionsAllowed = max(0, currentHealthy − desiredHealthy)`, with
//! the `DisruptionAllowed` condition (`SufficientPods` / `InsufficientPods`).
//!
//! `desiredHealthy` is `minAvailable` (an int, or a percentage of the expected pods rounded up)
//! or `expected − maxUnavailable` (percentages rounded up, as `GetScaledValueFromIntOrPercent`
//! with `roundUp`). Simplification: the expected count is the number of matching pods, where
//! the real controller reads the owning controllers' scale for percentages and maxUnavailable;
//! the two agree once the controllers have created their pods. Evictions are not served.

use serde_json::{Value, json};

use super::common::{is_active, is_ready};
use crate::resources;
use crate::selector::LabelSelector;
use crate::state::Cluster;
use crate::util;

/// An intOrString against `expected` (percentages rounded up).
fn scaled(v: &Value, expected: i64) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let p: i64 = s.strip_suffix('%')?.parse().ok()?;
            Some((p * expected + 99) / 100)
        }
        _ => None,
    }
}

pub fn reconcile_all(c: &Cluster) {
    for pdb in c
        .store
        .list(resources::by_storage("poddisruptionbudgets"), None)
        .0
    {
        let ns = util::str_at(&pdb, "metadata.namespace");
        // A null selector matches nothing in policy/v1; an empty one matches every pod.
        let Some(sel) = pdb.pointer("/spec/selector").filter(|s| !s.is_null()) else {
            continue;
        };
        let Ok(sel) = LabelSelector::from_object(Some(sel)) else {
            continue;
        };
        let pods: Vec<_> = c
            .store
            .list(resources::by_storage("pods"), Some(ns))
            .0
            .into_iter()
            .filter(|p| is_active(p) && p.pointer("/metadata/deletionTimestamp").is_none())
            .filter(|p| sel.matches(p.pointer("/metadata/labels").and_then(Value::as_object)))
            .collect();
        let expected = pods.len() as i64;
        let healthy = pods.iter().filter(|p| is_ready(p)).count() as i64;
        let desired = match (
            pdb.pointer("/spec/minAvailable"),
            pdb.pointer("/spec/maxUnavailable"),
        ) {
            (Some(min), _) => scaled(min, expected).unwrap_or(0),
            (None, Some(max)) => (expected - scaled(max, expected).unwrap_or(0)).max(0),
            (None, None) => 0,
        };
        let allowed = (healthy - desired).max(0);
        let generation = pdb
            .pointer("/metadata/generation")
            .cloned()
            .unwrap_or(json!(1));
        let (status, reason) = if allowed > 0 {
            ("True", "SufficientPods")
        } else {
            ("False", "InsufficientPods")
        };
        let name = util::str_at(&pdb, "metadata.name");
        let _ = c.internal_update("poddisruptionbudgets", ns, name, |o| {
            let prev = o.pointer("/status/conditions/0").cloned();
            let since = prev
                .filter(|p| p["status"] == status)
                .and_then(|p| p.get("lastTransitionTime").cloned())
                .unwrap_or(json!(util::now_rfc3339()));
            o["status"] = json!({
                "observedGeneration": generation, "disruptionsAllowed": allowed,
                "currentHealthy": healthy, "desiredHealthy": desired, "expectedPods": expected,
                "conditions": [{"type": "DisruptionAllowed", "status": status, "reason": reason,
                    "message": "", "observedGeneration": generation, "lastTransitionTime": since}],
            });
        });
    }
}
