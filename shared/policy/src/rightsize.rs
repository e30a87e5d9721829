//! Policy `rightsize`: ours. Work in progress: behaves like `static` until built.
use crate::policy::{Admission, Allocation, Decision, Observation, PodId, SizingPolicy};

/// Tunables of the `rightsize` policy.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RightsizeParams {}

/// The `rightsize` policy state of one workload.
#[derive(Clone, Debug, Default)]
pub struct RightsizePolicy {
    _params: RightsizeParams,
}

impl RightsizePolicy {
    pub fn new(params: RightsizeParams) -> Self {
        Self { _params: params }
    }
}

impl SizingPolicy for RightsizePolicy {
    fn admit(&mut self, _pod: PodId, _declared: Allocation, _t: f64) -> Admission {
        Admission::Declared
    }
    fn observe(&mut self, _obs: &Observation) -> Option<Decision> {
        None
    }
}
