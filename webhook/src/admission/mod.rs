//! Admission logic as a pure function: a pod CREATE review in, an AdmissionResponse (with a
//! minimal JSONPatch and the `rightsize.dev/admitted` annotation) out. No I/O, no clock reads:
//! history, LimitRanges and node sizes arrive as a snapshot in [`AdmissionContext`].
//!
//! Never denies (a denial blocks the pod, and `failurePolicy: Ignore` does not cover denials):
//! whatever goes wrong, the pod is admitted unchanged with a warning saying why, and the
//! [`Outcome`] tells the server what to count and log. Modules: `review` (which reviews are
//! handled), `plan` (the sizing decision per container), `pod_rules` (node, QoS, pod limits), `bounds` and `limits` (what the API server and
//! scheduler accept), `annotation` and `patch` (the response), `context` and `config` (inputs).

mod annotation;
mod bounds;
mod config;
mod context;
mod limits;
mod patch;
mod plan;
mod pod_rules;
mod review;

pub use config::{AdmissionArgs, DEFAULT_RECOMMEND_ONLY};
pub use context::{
    AdmissionConfig, AdmissionContext, Bounds, Constraints, LimitRangeSnapshot, NodeAllocatable,
    PolicyConfig, ProfileSource,
};

use std::panic::{AssertUnwindSafe, catch_unwind};

use json_patch::Patch;
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse};
use rightsize_policy::controls::{Mode, PodControls};
use rightsize_policy::workload::WorkloadRef;

/// Prefix of every warning, so a user sees which webhook spoke.
const WARNING_PREFIX: &str = "rightsize: ";

/// Longest warning sent: the API server may truncate warnings over 256 characters
/// (`kubernetes-api-facts.md` §2.1), so ours are cut, on a character boundary, before that.
const MAX_WARNING_CHARS: usize = 250;

/// What admission did with a review, for metrics and logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Resources changed (the patch also carries the annotations).
    Patched,
    /// `recommend` mode or `RECOMMEND_ONLY`: only the recommendation annotation was written.
    Recommended,
    /// The workload has history but nothing was written (no container with a profile, or a
    /// reinvocation with nothing new).
    Unchanged,
    /// No history for the pod's workload.
    NoHistory,
    /// `rightsize.dev/mode: off`.
    Off,
    /// An unusable per-pod annotation: admitted unchanged, with a warning.
    InvalidAnnotation,
    /// A review admission does not act on (not a pod CREATE, unreadable pod...), with a warning.
    NotHandled(&'static str),
    /// An internal error: admitted unchanged, with a warning.
    Error,
}

impl Outcome {
    /// Metric label.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Patched => "patched",
            Self::Recommended => "recommended",
            Self::Unchanged => "unchanged",
            Self::NoHistory => "no_history",
            Self::Off => "off",
            Self::InvalidAnnotation => "invalid_annotation",
            Self::NotHandled(_) => "not_handled",
            Self::Error => "error",
        }
    }

    /// Whether the pod's workload was found in the history (a history hit).
    pub fn history_hit(&self) -> Option<bool> {
        match self {
            Self::Patched | Self::Recommended | Self::Unchanged => Some(true),
            Self::NoHistory => Some(false),
            _ => None,
        }
    }
}

/// The response to one review and what happened.
#[derive(Clone, Debug)]
pub struct Admitted {
    pub response: AdmissionResponse,
    pub outcome: Outcome,
}

/// Decide the response to one review. Never denies.
pub fn mutate(
    req: &AdmissionRequest<DynamicObject>,
    ctx: &AdmissionContext<'_>,
) -> AdmissionResponse {
    admit(req, ctx).response
}

/// [`mutate`], with the [`Outcome`] for the server's metrics and logs.
pub fn admit(req: &AdmissionRequest<DynamicObject>, ctx: &AdmissionContext<'_>) -> Admitted {
    let response = AdmissionResponse::from(req);
    // A panic here is a bug; it must still not block pod creation.
    let decided = catch_unwind(AssertUnwindSafe(|| decide(req, ctx)));
    let (patch, outcome, warning) = match decided {
        Ok(decision) => decision,
        Err(_) => (
            None,
            Outcome::Error,
            Some("internal error while sizing the pod: admitted unchanged".to_owned()),
        ),
    };
    let mut response = match patch {
        Some(patch) => match response.clone().with_patch(patch) {
            Ok(patched) => patched,
            Err(e) => {
                return Admitted {
                    response: warn(response, format!("internal error: {e}: admitted unchanged")),
                    outcome: Outcome::Error,
                };
            }
        },
        None => response,
    };
    if let Some(warning) = warning {
        response = warn(response, warning);
    }
    Admitted { response, outcome }
}

fn warn(mut response: AdmissionResponse, warning: String) -> AdmissionResponse {
    let text: String = format!("{WARNING_PREFIX}{warning}")
        .chars()
        .take(MAX_WARNING_CHARS)
        .collect();
    response.warnings.get_or_insert_with(Vec::new).push(text);
    response
}

type Decision = (Option<Patch>, Outcome, Option<String>);

fn decide(req: &AdmissionRequest<DynamicObject>, ctx: &AdmissionContext<'_>) -> Decision {
    let (pod, json) = match review::pod_of(req) {
        Ok(pod) => pod,
        Err(e) => return (None, Outcome::NotHandled(e.label()), Some(e.to_string())),
    };
    let annotations = pod.metadata.annotations.as_ref();
    let controls = match PodControls::from_annotations(annotations) {
        Ok(c) => c,
        Err(e) => {
            let warning = format!("{e}: pod admitted unchanged");
            return (None, Outcome::InvalidAnnotation, Some(warning));
        }
    };
    if controls.mode == Mode::Off {
        return (None, Outcome::Off, None);
    }
    let recommend = controls.mode == Mode::Recommend || ctx.config.recommend_only;
    let workload = match WorkloadRef::of_pod(&pod.metadata, req.namespace.as_deref()) {
        Ok(w) => w,
        Err(e) => {
            let warning = format!("cannot tell the pod's workload ({e}): admitted unchanged");
            return (None, Outcome::NotHandled("workload"), Some(warning));
        }
    };
    let Some(history) = ctx.profiles.workload(&workload) else {
        return (None, Outcome::NoHistory, None);
    };
    let Some(spec) = pod.spec.as_ref() else {
        let warning = "the pod has no spec: admitted unchanged".to_owned();
        return (None, Outcome::NotHandled("invalid_pod"), Some(warning));
    };
    let done = annotation::handled(annotations);
    let plan = match plan::plan(spec, &history, &controls.bounds, ctx, &done) {
        Ok(plan) => plan,
        Err(e) => {
            return (
                None,
                Outcome::NotHandled("unsizable_pod"),
                Some(e.to_string()),
            );
        }
    };
    if plan.sized.is_empty() {
        return (None, Outcome::Unchanged, None);
    }
    let mut ops = Vec::new();
    if !recommend {
        ops.extend(patch::resources(&json, &plan.sized));
    }
    let changed = !ops.is_empty();
    let wanted = annotation::annotations(&plan, recommend, annotations);
    ops.extend(patch::annotations(&json, &wanted));
    let outcome = match (recommend, changed) {
        (true, _) => Outcome::Recommended,
        (false, true) => Outcome::Patched,
        (false, false) => Outcome::Unchanged,
    };
    (Some(Patch(ops)), outcome, None)
}
