//! Which reviews admission acts on: a CREATE of a core/v1 Pod (no subresource) whose object
//! reads as a Pod. Everything else is answered `allowed: true` with no patch and a warning saying
//! why (a denial would block the pod, and `failurePolicy: Ignore` does not cover denials;
//! `../shared/reference/kubernetes-api-facts.md` §2.1–2.2).

use k8s_openapi::api::core::v1::Pod;
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, Operation};

/// Why a review is not one admission acts on.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NotHandled {
    #[error("operation {0} is not handled (only CREATE): pod admitted unchanged")]
    Operation(&'static str),
    #[error("kind {group}/{version}/{kind} is not handled (only core/v1 Pod): admitted unchanged")]
    Kind {
        group: String,
        version: String,
        kind: String,
    },
    #[error("subresource {0:?} is not handled (only pods): admitted unchanged")]
    SubResource(String),
    #[error("the review has no object: pod admitted unchanged")]
    MissingObject,
    #[error("the object is not a valid Pod ({0}): admitted unchanged")]
    InvalidPod(serde_json::Error),
}

impl NotHandled {
    /// Short label for metrics.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Self::Operation(_) => "operation",
            Self::Kind { .. } => "kind",
            Self::SubResource(_) => "subresource",
            Self::MissingObject => "missing_object",
            Self::InvalidPod(_) => "invalid_pod",
        }
    }
}

/// The pod of a CREATE review, as k8s-openapi reads it, and its JSON (the patch's paths are
/// checked against the JSON as sent, not against the typed view).
pub(crate) fn pod_of(
    req: &AdmissionRequest<DynamicObject>,
) -> Result<(Pod, serde_json::Value), NotHandled> {
    if req.operation != Operation::Create {
        return Err(NotHandled::Operation(match req.operation {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }));
    }
    let kind = &req.kind;
    if !(kind.group.is_empty() && kind.version == "v1" && kind.kind == "Pod") {
        return Err(NotHandled::Kind {
            group: kind.group.clone(),
            version: kind.version.clone(),
            kind: kind.kind.clone(),
        });
    }
    if let Some(sub) = req.sub_resource.as_ref().filter(|s| !s.is_empty()) {
        return Err(NotHandled::SubResource(sub.clone()));
    }
    let object = req.object.as_ref().ok_or(NotHandled::MissingObject)?;
    let json = serde_json::to_value(object).map_err(NotHandled::InvalidPod)?;
    let pod: Pod = serde_json::from_value(json.clone()).map_err(NotHandled::InvalidPod)?;
    Ok((pod, json))
}
