//! Errors. `ApiError` is what a request fails with: it renders as a Kubernetes `Status` body with
//! the code and reason the real API server would use (apimachinery `pkg/api/errors`), so clients'
//! error handling (kube-rs `Error::Api`, kubectl messages) behaves as against a real cluster.
//! `Error` is for the embedding program (bind failures and the like).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Failures of the simulated cluster outside a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("starting the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error("binding the API server to {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the kubeconfig {path}")]
    WriteKubeconfig {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("building a kube client for {url}")]
    Client {
        url: String,
        #[source]
        source: kube::Error,
    },
    #[error("issuing a token for ServiceAccount {account}: {reason}")]
    ServiceAccountToken { account: String, reason: String },
    #[error("reading manifests {path}: {reason}")]
    Manifest { path: String, reason: String },
    #[error("creating {what} from manifests: {reason}")]
    CreateObject { what: String, reason: String },
    #[error("making the API server's TLS identity: {0}")]
    Tls(String),
    #[error("{url} is not a valid URL")]
    InvalidUrl { url: String },
    #[error("reading the memory trace {path}: {reason}")]
    Trace { path: String, reason: String },
    #[error("writing the metrics-server certificate {path}")]
    WriteCa {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("making the self-signed certificate of the metrics-server endpoint: {0}")]
    Certificate(String),
}

/// One field problem, as apimachinery `field.Error`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub kind: FieldErrorKind,
    pub detail: String,
}

/// `field.ErrorType` values we produce.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldErrorKind {
    Invalid(String),
    Forbidden,
    Required,
    TooLong,
    NotSupported(String),
    Duplicate(String),
}

impl FieldError {
    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            kind: FieldErrorKind::Invalid(value.into()),
            detail: detail.into(),
        }
    }
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            kind: FieldErrorKind::Forbidden,
            detail: detail.into(),
        }
    }
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            kind: FieldErrorKind::Required,
            detail: detail.into(),
        }
    }
    pub fn too_long(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            kind: FieldErrorKind::TooLong,
            detail: detail.into(),
        }
    }

    /// `CauseType` of `StatusCause.reason`.
    fn reason(&self) -> &'static str {
        match self.kind {
            FieldErrorKind::Invalid(_) => "FieldValueInvalid",
            FieldErrorKind::Forbidden => "FieldValueForbidden",
            FieldErrorKind::Required => "FieldValueRequired",
            FieldErrorKind::TooLong => "FieldValueTooLong",
            FieldErrorKind::NotSupported(_) => "FieldValueNotSupported",
            FieldErrorKind::Duplicate(_) => "FieldValueDuplicate",
        }
    }

    /// `field.Error.ErrorBody()`: the message without the field path.
    pub fn body(&self) -> String {
        let with_detail = |head: String| {
            if self.detail.is_empty() {
                head
            } else {
                format!("{head}: {}", self.detail)
            }
        };
        match &self.kind {
            FieldErrorKind::Invalid(v) => with_detail(format!("Invalid value: {v:?}")),
            FieldErrorKind::Forbidden => with_detail("Forbidden".into()),
            FieldErrorKind::Required => with_detail("Required value".into()),
            FieldErrorKind::TooLong => with_detail("Too long".into()),
            FieldErrorKind::NotSupported(v) => with_detail(format!("Unsupported value: {v:?}")),
            FieldErrorKind::Duplicate(v) => format!("Duplicate value: {v:?}"),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.body())
        } else {
            write!(f, "{}: {}", self.field, self.body())
        }
    }
}

/// `pods`, `deployments.apps`: a resource (or kind) qualified by its group, as messages name it.
fn qualified(name: &str, group: &str) -> String {
    if group.is_empty() {
        name.to_string()
    } else {
        format!("{name}.{group}")
    }
}

/// A failed request, rendered as a `Status` object.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }
    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// 404 `NotFound`: `pods "x" not found`.
    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        let what = qualified(plural, group);
        Self::new(404, "NotFound", format!("{what} {name:?} not found"))
            .with_details(json!({"name": name, "group": group, "kind": plural}))
    }
    /// 404 for a path that names no resource (the real server answers "the server could not find
    /// the requested resource").
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }
    /// 409 `AlreadyExists`.
    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        let what = qualified(plural, group);
        Self::new(
            409,
            "AlreadyExists",
            format!("{what} {name:?} already exists"),
        )
        .with_details(json!({"name": name, "group": group, "kind": plural}))
    }
    /// 403 `Forbidden` naming an object, as `apierrors.NewForbidden` (what
    /// `admission.NewForbidden` gives LimitRanger and ResourceQuota): `pods "x" is forbidden: …`.
    pub fn forbidden_object(group: &str, plural: &str, name: &str, err: &str) -> Self {
        let what = qualified(plural, group);
        Self::new(
            403,
            "Forbidden",
            format!("{what} {name:?} is forbidden: {err}"),
        )
        .with_details(json!({"name": name, "group": group, "kind": plural}))
    }
    /// 409 `Conflict` on a stale resourceVersion, with the real server's wording.
    pub fn conflict(group: &str, plural: &str, name: &str) -> Self {
        let what = qualified(plural, group);
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {what} {name:?}: the object has been modified; please apply your changes to the latest version and try again"
            ),
        )
        .with_details(json!({"name": name, "group": group, "kind": plural}))
    }
    /// 422 `Invalid` with causes; `kind` is the object Kind (`Pod`).
    pub fn invalid(group: &str, kind: &str, name: &str, errors: Vec<FieldError>) -> Self {
        let list = if errors.len() == 1 {
            errors[0].to_string()
        } else {
            format!(
                "[{}]",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let causes: Vec<Value> = errors
            .iter()
            .map(|e| json!({"reason": e.reason(), "message": e.body(), "field": e.field}))
            .collect();
        let what = qualified(kind, group);
        Self::new(
            422,
            "Invalid",
            format!("{what} {name:?} is invalid: {list}"),
        )
        .with_details(json!({"name": name, "group": group, "kind": kind, "causes": causes}))
    }
    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }
    /// 410 `Expired` (too old resourceVersion or continue token).
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }
    /// 413 `RequestEntityTooLarge`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(413, "RequestEntityTooLarge", message)
    }
    /// 405 `MethodNotAllowed`.
    pub fn method_not_allowed(verb: &str, what: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!("{verb} is not supported on {what}"),
        )
    }
    /// 415 `UnsupportedMediaType`.
    pub fn unsupported_media_type(ct: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {ct:?})"
            ),
        )
    }
    /// 415 `UnsupportedMediaType` for a create/update body the sim cannot decode.
    pub fn unsupported_body(message: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", message)
    }
    /// 406 `NotAcceptable`: the client accepts no media type the sim answers with (JSON only).
    pub fn not_acceptable(accept: &str) -> Self {
        Self::new(
            406,
            "NotAcceptable",
            format!(
                "only the following media types are accepted: application/json (the simulated API server does not encode protobuf; got Accept {accept:?})"
            ),
        )
    }
    /// 500 `InternalError`, worded as apimachinery `NewInternalError`.
    pub fn internal(message: impl Into<String>) -> Self {
        let m = message.into();
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {m}"),
        )
        .with_details(json!({"causes": [{"message": m}]}))
    }
    /// 403 `Forbidden`, used for namespace-terminating and denied admission.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "Forbidden", message)
    }
    /// Arbitrary code and reason (admission denials carry the webhook's own).
    /// `apierrors.NewForbidden(groupResource, name, err)`: `<resource>[.<group>] ["<name>"] is
    /// forbidden: <err>`, or `forbidden: <err>` without a resource (a non-resource path).
    pub fn forbidden_resource(group: &str, resource: &str, name: &str, err: &str) -> Self {
        let qualified = if group.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}.{group}")
        };
        let message = if qualified.is_empty() {
            format!("forbidden: {err}")
        } else if name.is_empty() {
            format!("{qualified} is forbidden: {err}")
        } else {
            format!("{qualified} {name:?} is forbidden: {err}")
        };
        let mut details = json!({"group": group, "kind": resource});
        if !name.is_empty() {
            details["name"] = json!(name);
        }
        Self::new(403, "Forbidden", message).with_details(details)
    }

    pub fn custom(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, reason, message)
    }

    /// The `Status` object (`metav1.Status`).
    pub fn to_status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.to_status()).unwrap_or_default();
        (code, [("content-type", "application/json")], body).into_response()
    }
}

/// Result of an API operation.
pub type ApiResult<T> = std::result::Result<T, ApiError>;
