//! Request parsing: what a resource request asks for, read from its path, query, headers and
//! body (the parsed [`Target`], list and watch options, the decoded body, the Accept check).
//! Separate from routing (`api`) and from what each verb does (`dispatch`) so the rules of the
//! wire format sit in one place; nothing here touches the cluster's state.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use serde_json::Value;

use super::protobuf;
use super::watch::WatchParams;
use crate::error::{ApiError, ApiResult};
use crate::registry::ListOptions;
use crate::resources::{self, ResourceDef};
use crate::selector::{FieldSelector, LabelSelector};

/// The API server's `MaxRequestBodyBytes` default (3 MiB): larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// A parsed resource path.
pub(super) struct Target {
    pub(super) def: &'static ResourceDef,
    pub(super) ns: Option<String>,
    pub(super) name: Option<String>,
    pub(super) sub: Option<String>,
    pub(super) legacy_watch: bool,
}

/// `[watch/][namespaces/<ns>/]<plural>[/<name>[/<sub>]]`
pub(super) fn parse_path(group: &str, version: &str, rest: &str) -> ApiResult<Target> {
    if !resources::group_version_served(group, version) {
        return Err(ApiError::no_route());
    }
    let mut segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let legacy_watch = segs.first() == Some(&"watch");
    if legacy_watch {
        segs.remove(0);
    }
    let find = |p: &str| resources::find(group, version, p);
    // `namespaces/<ns>/<plural>...` is namespaced unless <plural> is a namespace subresource.
    if segs.len() >= 3 && segs[0] == "namespaces" && find(segs[2]).is_some_and(|d| d.namespaced) {
        let def = find(segs[2]).ok_or_else(ApiError::no_route)?;
        if segs.len() > 5 {
            return Err(ApiError::no_route());
        }
        return Ok(Target {
            def,
            ns: Some(segs[1].to_string()),
            name: segs.get(3).map(|s| s.to_string()),
            sub: segs.get(4).map(|s| s.to_string()),
            legacy_watch,
        });
    }
    let def = segs
        .first()
        .and_then(|p| find(p))
        .ok_or_else(ApiError::no_route)?;
    if segs.len() > 3 || (def.namespaced && segs.len() > 1) {
        return Err(ApiError::no_route());
    }
    Ok(Target {
        def,
        ns: None,
        name: segs.get(1).map(|s| s.to_string()),
        sub: segs.get(2).map(|s| s.to_string()),
        legacy_watch,
    })
}

/// Query parameters, form-decoded (`%XX`, `+` as a space) by `form_urlencoded`.
pub(super) fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Label and field selectors, `limit` and `continue` of a list, watch or deletecollection.
pub(super) fn list_options(
    def: &ResourceDef,
    q: &HashMap<String, String>,
) -> ApiResult<ListOptions> {
    Ok(ListOptions {
        labels: LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str))?,
        fields: FieldSelector::parse(
            q.get("fieldSelector").map_or("", String::as_str),
            def.field_labels,
        )?,
        limit: q.get("limit").and_then(|l| l.parse().ok()),
        continue_token: q.get("continue").filter(|c| !c.is_empty()).cloned(),
    })
}

/// What a watch of `t` asks for: `opts` (already holding `metadata.name=<name>` for a watch of
/// one object), the version to resume from, bookmarks, initial events and the timeout.
pub(super) fn watch_params(
    t: &Target,
    q: &HashMap<String, String>,
    opts: ListOptions,
    send_initial: bool,
    metadata_only: bool,
) -> WatchParams {
    WatchParams {
        ns: t.ns.clone(),
        opts,
        resource_version: q.get("resourceVersion").cloned(),
        bookmarks: is_true(q, "allowWatchBookmarks"),
        send_initial,
        timeout: q
            .get("timeoutSeconds")
            .and_then(|s| s.parse::<u64>().ok())
            .map(Duration::from_secs),
        metadata_only,
    }
}

/// The body, up to [`MAX_BODY_BYTES`] (413 beyond).
pub(super) async fn read_body(body: Body) -> ApiResult<Bytes> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::too_large(format!(
                "the request body is larger than the limit of {MAX_BODY_BYTES} bytes"
            ))
        })
}

/// A create/update/delete body: JSON, or Kubernetes protobuf (by Content-Type or magic bytes)
/// for the kinds [`protobuf`] decodes.
pub(super) fn parse_body(headers: &HeaderMap, bytes: &[u8]) -> ApiResult<Value> {
    if protobuf::is_protobuf(header(headers, "content-type"), bytes) {
        return protobuf::decode(bytes);
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
    })
}

/// A header as text (`""` when absent or not text).
pub(super) fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Responses are always JSON. A client that lists protobuf (or anything else) but neither JSON
/// nor a wildcard could not read them: 406, as the real server answers an unservable Accept.
pub(super) fn check_accept(accept: &str) -> ApiResult<()> {
    let acceptable = accept.trim().is_empty()
        || accept.split(',').any(|r| {
            let media = r.split(';').next().unwrap_or("").trim();
            media.is_empty() || media == "*/*" || media == "application/*" || media.contains("json")
        });
    if acceptable {
        Ok(())
    } else {
        Err(ApiError::not_acceptable(accept))
    }
}

/// A boolean query parameter (`true` or `1`).
pub(super) fn is_true(q: &HashMap<String, String>, k: &str) -> bool {
    q.get(k).is_some_and(|v| v == "true" || v == "1")
}
