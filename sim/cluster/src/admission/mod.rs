//! Mutating admission on pod CREATE (filled in by the admission layer).

use serde_json::Value;

use crate::cluster::Cluster;
use crate::error::ApiResult;

impl Cluster {
    pub(crate) async fn admit_pod_create(&self, _ns: &str, obj: Value) -> ApiResult<Value> {
        Ok(obj)
    }
}
