//! Admission logic as a pure function: a pod CREATE review in, an AdmissionResponse (with a
//! minimal JSONPatch and the `rightsize.dev/admitted` annotation) out. No I/O, no clock reads:
//! history, LimitRanges and node sizes arrive as a snapshot in [`AdmissionContext`].

mod config;
mod context;
mod limits;

pub use config::{AdmissionArgs, DEFAULT_RECOMMEND_ONLY};
pub use context::{
    AdmissionConfig, AdmissionContext, Bounds, Constraints, LimitRangeSnapshot, NodeAllocatable,
    PolicyConfig, ProfileSource,
};

use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse};

/// Decide the response to one review. Never denies.
pub fn mutate(
    req: &AdmissionRequest<DynamicObject>,
    _ctx: &AdmissionContext<'_>,
) -> AdmissionResponse {
    AdmissionResponse::from(req)
}
