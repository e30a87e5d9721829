//! Admission logic as a pure function: a pod CREATE review in, an AdmissionResponse (with a
//! minimal JSONPatch and the `rightsize.dev/admitted` annotation) out. No I/O, no clock reads:
//! history, LimitRanges and node sizes arrive as a snapshot in [`AdmissionContext`].
//!
//! Placeholder boundary agreed between the admission and server halves of the webhook; the
//! admission half fills it in.

use std::sync::Arc;

use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse};
use rightsize_history::WorkloadHistory;
use rightsize_policy::workload::WorkloadRef;

/// Where admission reads a workload's learned profiles from (the `HistoryView` in production, a
/// map in tests).
pub trait ProfileSource: Send + Sync {
    /// The stored history of `workload`, if any.
    fn workload(&self, workload: &WorkloadRef) -> Option<Arc<WorkloadHistory>>;
}

impl ProfileSource for rightsize_history::HistoryView {
    fn workload(&self, workload: &WorkloadRef) -> Option<Arc<WorkloadHistory>> {
        self.get_workload(workload)
    }
}

/// Everything admission reads besides the request, as one snapshot taken by the caller.
pub struct AdmissionContext<'a> {
    /// Learned profiles.
    pub profiles: &'a dyn ProfileSource,
}

/// Decide the response to one review. Never denies.
pub fn mutate(
    req: &AdmissionRequest<DynamicObject>,
    _ctx: &AdmissionContext<'_>,
) -> AdmissionResponse {
    AdmissionResponse::from(req)
}
