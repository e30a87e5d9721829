//! Response helpers: the JSON answers every handler sends (a body with its status, or the
//! `404` Status for a path nothing serves). Shared by routing (`api`), the verbs (`dispatch`)
//! and the review handler (`auth_layer`), so every answer carries the same content type.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;

/// `200` with `v` as JSON.
pub(super) fn json_ok(v: &Value) -> Response {
    json_status(StatusCode::OK, v)
}

/// `code` with `v` as JSON.
pub(super) fn json_status(code: StatusCode, v: &Value) -> Response {
    (
        code,
        [("content-type", "application/json")],
        serde_json::to_vec(v).unwrap_or_default(),
    )
        .into_response()
}

/// `v` as JSON, or the `404` Status the real server sends for a path it does not serve.
pub(super) fn json_or_404(v: Option<Value>) -> Response {
    match v {
        Some(v) => json_ok(&v),
        None => ApiError::no_route().into_response(),
    }
}
