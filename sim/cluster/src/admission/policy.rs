//! The built-in admission plugins for pods, wired to the store: LimitRanger (`limitranger`) and
//! ResourceQuota (`quota`). Order as in the API server's default plugin list: LimitRanger's
//! defaults before the mutating webhooks; after them (validating phase, once the name is
//! generated) LimitRanger's checks, then ResourceQuota, which comes last.

use std::sync::Arc;

use serde_json::Value;

use super::{limitranger, quota};
use crate::error::{ApiError, ApiResult};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// What the validating plugins need of a namespace, read once before a write.
pub(crate) struct PodPolicy {
    ranges: Vec<Arc<Value>>,
    quotas: Vec<Arc<Value>>,
}

impl PodPolicy {
    /// LimitRanger then ResourceQuota over `new` (`old` on a resize): the quota usage to record
    /// once the write lands, or the 403 the real server answers.
    pub(crate) fn admit(
        &self,
        old: Option<&Value>,
        new: &Value,
    ) -> ApiResult<Vec<quota::UsedUpdate>> {
        let name = util::str_at(new, "metadata.name");
        let refuse = |msg: String| ApiError::forbidden_object("", "pods", name, &msg);
        limitranger::validate(&self.ranges, new).map_err(refuse)?;
        quota::check(&self.quotas, old, new).map_err(refuse)
    }
}

impl Cluster {
    /// The LimitRanges and ResourceQuotas of `ns`.
    pub(crate) fn pod_policy(&self, ns: &str) -> PodPolicy {
        PodPolicy {
            ranges: self
                .store
                .list(resources::by_storage("limitranges"), Some(ns))
                .0,
            quotas: self
                .store
                .list(resources::by_storage("resourcequotas"), Some(ns))
                .0,
        }
    }

    /// LimitRanger's mutating half on a pod CREATE.
    pub(crate) fn limit_range_defaults(&self, ns: &str, pod: &mut Value) {
        let ranges = self
            .store
            .list(resources::by_storage("limitranges"), Some(ns))
            .0;
        limitranger::apply_defaults(&ranges, pod);
    }

    /// Record admitted usage in the quotas' `status.used` (the quota admission plugin's own
    /// status update; the quota controller recomputes it from the pods afterwards).
    pub(crate) fn record_quota_usage(&self, ns: &str, updates: Vec<quota::UsedUpdate>) {
        for u in updates {
            let used = quota::to_json(&u.used);
            let _ = self.internal_update("resourcequotas", ns, &u.quota, |q| {
                util::obj_entry(q, "status")["used"] = used;
            });
        }
    }
}
