//! PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch ([`strategic`], with the
//! patch metadata of every served kind in [`merge_keys`]), JSON patch (RFC 6902, via `json-patch` 4) and server-side apply as far as
//! kube-rs uses it (apply is merged like a strategic patch; field ownership is not tracked).

mod list;
pub mod merge_keys;
pub mod strategic;

use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// The four patch content types of apimachinery `pkg/types/patch.go`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchKind {
    /// From the request's Content-Type; anything else is 415 UnsupportedMediaType.
    pub fn from_content_type(ct: &str) -> ApiResult<Self> {
        let base = ct.split(';').next().unwrap_or("").trim();
        match base {
            "application/json-patch+json" => Ok(Self::Json),
            "application/merge-patch+json" => Ok(Self::Merge),
            "application/strategic-merge-patch+json" => Ok(Self::Strategic),
            "application/apply-patch+yaml" => Ok(Self::Apply),
            _ => Err(ApiError::unsupported_media_type(ct)),
        }
    }
}

/// JSON merge patch (RFC 7396), by the json-patch crate.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

/// Strategic merge patch of an object of Go type `kind` (the kind, or `Scale` for the scale
/// subresource), with the patch metadata of [`merge_keys`].
pub fn strategic_merge(kind: &str, target: Value, patch: Value) -> ApiResult<Value> {
    let (Value::Object(t), Value::Object(p)) = (target, patch) else {
        return Err(ApiError::bad_request(
            "error decoding patch: the patch is not a JSON object",
        ));
    };
    let mut out = Value::Object(
        strategic::merge_map(t, p, merge_keys::Schema::for_kind(kind)).map_err(|e| {
            match e.code() {
                400 => ApiError::bad_request(e.to_string()),
                code => ApiError::custom(
                    code,
                    if code == 422 {
                        "Invalid"
                    } else {
                        "InternalError"
                    },
                    e.to_string(),
                ),
            }
        })?,
    );
    strategic::strip_directive_keys(&mut out);
    Ok(out)
}

/// Apply a patch body of the given kind to `target`, an object of Go type `go_type` (see
/// [`strategic_merge`]).
pub fn apply(kind: PatchKind, go_type: &str, target: &Value, body: &[u8]) -> ApiResult<Value> {
    let parse = || -> ApiResult<Value> {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
    };
    let mut out = target.clone();
    match kind {
        PatchKind::Json => {
            let ops: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            json_patch::patch(&mut out, &ops).map_err(|e| {
                // The real server reports JSON-patch failures as 422 with the operation's error.
                ApiError::custom(
                    422,
                    "Invalid",
                    format!("the server rejected our request due to an error in our request: {e}"),
                )
            })?;
        }
        PatchKind::Merge => merge_patch(&mut out, &parse()?),
        PatchKind::Strategic | PatchKind::Apply => {
            out = strategic_merge(go_type, out, parse()?)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
