//! The HTTP edge of `POST /mutate` without the HTTP: a request body in, a status, a JSON body and
//! an outcome out. Whatever arrives, the answer is well formed and nothing blocks a pod:
//!
//! - a usable pod review goes to [`App::mutate`];
//! - a review we cannot use whose uid we know (invalid JSON after the uid, wrong apiVersion or
//!   kind, not a Pod, a body over [`MAX_BODY_BYTES`]) is answered `allowed: true`, no patch,
//!   with a warning saying what was wrong: a denial would block the pod, and `failurePolicy:
//!   Ignore` covers call failures, not denials (DESIGN §3);
//! - without a uid there is no review to answer: HTTP 400 with a plain message;
//! - a panic anywhere in here is caught, logged once with the uid and counted, and the review
//!   allowed unchanged.

use std::panic::{AssertUnwindSafe, catch_unwind};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview};
use kube::core::{DynamicObject, Status};
use serde::de::IgnoredAny;
use tracing::field::Empty;

use crate::app::App;
use crate::metrics::Outcome;
use crate::probe::probe_uid;

/// Largest body read (3 MiB): the API server's own request limit for an object is 3 MiB
/// (`apiserver` `MaxRequestBodyBytes`), and a review carries one object.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The only AdmissionReview version registered (`admissionReviewVersions: ["v1"]`).
const REVIEW_API_VERSION: &str = "admission.k8s.io/v1";
const REVIEW_KIND: &str = "AdmissionReview";
/// Warnings should stay short (the API server may truncate them at 256 characters).
const MAX_WARNING_CHARS: usize = 200;

/// The answer to one request.
#[derive(Debug)]
pub struct Answer {
    /// 200 with an AdmissionReview, or 400 with a plain-text message.
    pub status: u16,
    pub body: Vec<u8>,
    pub outcome: Outcome,
    /// JSONPatch operations in the response.
    pub patch_operations: usize,
}

impl Answer {
    pub fn is_review(&self) -> bool {
        self.status == 200
    }
}

/// Answers one request body; `oversized` says the body was cut at [`MAX_BODY_BYTES`].
#[tracing::instrument(name = "review", skip_all, fields(uid = Empty, kind = Empty, allowed = Empty, outcome = Empty))]
pub fn answer(body: &[u8], oversized: bool, app: &App) -> Answer {
    let answer = match catch_unwind(AssertUnwindSafe(|| decide(body, oversized, app))) {
        Ok(a) => a,
        Err(panic) => {
            let what = panic_message(&*panic);
            let uid = catch_unwind(|| probe_uid(body)).ok().flatten();
            tracing::error!(uid = uid.as_deref().unwrap_or(""), panic = %what,
                "internal error while answering a review; pod admitted unchanged");
            match uid {
                Some(uid) => allowed_with_warning(
                    uid,
                    &format!("rightsize: internal error ({what}); pod admitted unchanged"),
                    Outcome::InternalError,
                ),
                None => Answer {
                    status: 500,
                    body: format!("rightsize: internal error while reading the review: {what}")
                        .into_bytes(),
                    outcome: Outcome::InternalError,
                    patch_operations: 0,
                },
            }
        }
    };
    let span = tracing::Span::current();
    span.record("outcome", answer.outcome.as_str());
    span.record("allowed", answer.is_review());
    answer
}

fn decide(body: &[u8], oversized: bool, app: &App) -> Answer {
    if oversized {
        return unusable(
            probe_uid(body),
            format!("the request body is over {MAX_BODY_BYTES} bytes"),
        );
    }
    let review: AdmissionReview<DynamicObject> = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return unusable(
                probe_uid(body),
                format!("the body is not an AdmissionReview ({e})"),
            );
        }
    };
    let uid = review
        .request
        .as_ref()
        .map(|r| r.uid.clone())
        .filter(|u| !u.is_empty());
    let span = tracing::Span::current();
    if let Some(uid) = &uid {
        span.record("uid", uid.as_str());
    }
    if review.types.api_version != REVIEW_API_VERSION || review.types.kind != REVIEW_KIND {
        return unusable(
            uid,
            format!(
                "expected apiVersion {REVIEW_API_VERSION} kind {REVIEW_KIND}, got apiVersion {:?} kind {:?}",
                review.types.api_version, review.types.kind
            ),
        );
    }
    let Some(request) = &review.request else {
        return bad_request("the AdmissionReview has no request");
    };
    if uid.is_none() {
        return bad_request("the AdmissionReview request has no uid");
    }
    let kind = &request.kind;
    span.record("kind", kind.kind.as_str());
    let object_kind = request
        .object
        .as_ref()
        .and_then(|o| o.types.as_ref())
        .map(|t| t.kind.as_str());
    if !kind.group.is_empty() || kind.kind != "Pod" || object_kind.is_some_and(|k| k != "Pod") {
        return unusable(
            uid,
            format!(
                "not a Pod (kind {:?} group {:?}); rightsize only sizes pods",
                kind.kind, kind.group
            ),
        );
    }
    let Ok(request): Result<AdmissionRequest<DynamicObject>, _> = review.try_into() else {
        return bad_request("the AdmissionReview has no request");
    };
    let response = app.mutate(&request);
    let patch_operations = response.patch.as_deref().map_or(0, count_operations);
    let outcome = if response.patch.is_some() {
        Outcome::Patched
    } else {
        Outcome::Unchanged
    };
    tracing::debug!(patch_operations, warnings = ?response.warnings, "review answered");
    review_answer(response, outcome, patch_operations)
}

/// A review we cannot use: allowed with a warning when the uid is known, else 400.
fn unusable(uid: Option<String>, what: String) -> Answer {
    match uid {
        Some(uid) => {
            tracing::warn!(uid = %uid, problem = %what, "unusable review; pod admitted unchanged");
            allowed_with_warning(
                uid,
                &format!("rightsize: {what}; pod admitted unchanged"),
                Outcome::Malformed,
            )
        }
        None => bad_request(&format!("{what}; no request.uid to answer")),
    }
}

fn bad_request(what: &str) -> Answer {
    tracing::warn!(problem = %what, "bad request to /mutate");
    Answer {
        status: 400,
        body: format!("rightsize: bad request: {what}\n").into_bytes(),
        outcome: Outcome::BadRequest,
        patch_operations: 0,
    }
}

/// `allowed: true`, no patch, one warning.
fn allowed_with_warning(uid: String, warning: &str, outcome: Outcome) -> Answer {
    // `invalid` is the only constructor without a request; every field it sets is replaced.
    let mut response = AdmissionResponse::invalid("");
    response.uid = uid;
    response.allowed = true;
    response.result = Status::default();
    response.warnings = Some(vec![truncate(warning)]);
    review_answer(response, outcome, 0)
}

fn review_answer(
    mut response: AdmissionResponse,
    outcome: Outcome,
    patch_operations: usize,
) -> Answer {
    // kube-core serializes `patch` (a `Vec<u8>`) as an array of numbers; the wire format is a
    // base64 string (admission.k8s.io/v1 `AdmissionResponse.Patch []byte`, DESIGN §3), so it is
    // written here.
    let patch = response.patch.take();
    let mut review = match serde_json::to_value(response.into_review()) {
        Ok(v) => v,
        // Plain strings and maps cannot fail to serialize; if it ever happens, the panic
        // handler answers allowed-with-warning.
        Err(e) => panic!("serializing an AdmissionReview: {e}"),
    };
    if let Some(patch) = patch {
        review["response"]["patch"] = BASE64.encode(patch).into();
    }
    Answer {
        status: 200,
        body: review.to_string().into_bytes(),
        outcome,
        patch_operations,
    }
}

fn count_operations(patch: &[u8]) -> usize {
    serde_json::from_slice::<Vec<IgnoredAny>>(patch).map_or(0, |ops| ops.len())
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_WARNING_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_owned()
    }
}
