//! Simulated kubelet (filled in by the kubelet layer).

pub mod usage;

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::cluster::Cluster;
use crate::config::NodeConfig;
use crate::error::ApiResult;
use crate::registry::ListOptions;
use crate::resources::ResourceDef;

#[derive(Default)]
pub struct KubeletState {}

pub fn node_object(n: &NodeConfig) -> Value {
    let res = json!({"cpu": n.cpu, "memory": n.memory, "pods": n.pods.to_string()});
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n.name, "labels": {"kubernetes.io/hostname": n.name}},
        "spec": {}, "status": {"capacity": res, "allocatable": res,
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}]}})
}

pub fn spawn(_c: Arc<Cluster>) -> JoinHandle<()> {
    tokio::spawn(async {})
}

impl Cluster {
    pub(crate) fn metrics(
        &self,
        def: &'static ResourceDef,
        _ns: Option<&str>,
        _name: Option<&str>,
        _opts: &ListOptions,
    ) -> ApiResult<Value> {
        Ok(
            json!({"kind": def.list_kind(), "apiVersion": def.api_version(), "metadata": {}, "items": []}),
        )
    }
}
