//! The HTTP surface (axum): discovery, health, and one handler for every resource path under
//! `/api/v1/...` and `/apis/<group>/<version>/...`. Paths are parsed here into a resource, an
//! optional namespace, name and subresource; the verb follows from the method and `watch`.
//! Every failure is a `Status` body; bodies are capped at the real server's 3 MiB.

mod audit;
mod auth_layer;
pub mod discovery;
pub mod fieldcheck;
pub mod logs;
pub mod openapi;
pub mod printers;
pub mod protobuf;
pub mod table;
mod table_auth;
mod table_kinds;
pub mod watch;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::Value;

use crate::auth::Requester;
use crate::error::{ApiError, ApiResult};
use crate::patch::PatchKind;
use crate::registry::{ListOptions, PatchRequest, Sub};
use crate::resources::{self, ResourceDef};
use crate::selector::{FieldSelector, LabelSelector};
use crate::state::Cluster;

/// The API server's `MaxRequestBodyBytes` default (3 MiB): larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

type Shared = Arc<Cluster>;

/// Build the router for one cluster.
pub fn router(cluster: Shared) -> Router {
    Router::new()
        .route("/version", get(|State(c): State<Shared>| async move { json_ok(&discovery::version(c.config.version)) }))
        // The official Python client asks `/version/`; the real server answers it the same.
        .route("/version/", get(|State(c): State<Shared>| async move { json_ok(&discovery::version(c.config.version)) }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route("/api", get(|State(c): State<Shared>| async move { json_ok(&discovery::core_versions(&c.server_address())) }))
        .route("/apis", get(|| async { json_ok(&discovery::group_list()) }))
        .route("/api/v1", get(|| async { json_or_404(discovery::resource_list("", "v1")) }))
        .route("/apis/{group}", get(|Path(g): Path<String>| async move { json_or_404(discovery::group(&g)) }))
        .route(
            "/apis/{group}/{version}",
            get(|Path((g, v)): Path<(String, String)>| async move { json_or_404(discovery::resource_list(&g, &v)) }),
        )
        .route("/openapi/v3", get(|| async { json_ok(&openapi::root()) }))
        .route(
            "/openapi/v3/{*path}",
            get(|State(c): State<Shared>, Path(p): Path<String>| async move { json_or_404(openapi::group_version(&p, c.config.version)) }),
        )
        .route("/api/v1/{*rest}", any(core_handler))
        .route("/apis/{group}/{version}/{*rest}", any(group_handler))
        .fallback(|| async { ApiError::no_route() })
        .layer(axum::middleware::from_fn_with_state(cluster.clone(), auth_layer::authenticate_and_authorize))
        .with_state(cluster)
}

fn json_ok(v: &Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        serde_json::to_vec(v).unwrap_or_default(),
    )
        .into_response()
}

fn json_status(code: StatusCode, v: &Value) -> Response {
    (
        code,
        [("content-type", "application/json")],
        serde_json::to_vec(v).unwrap_or_default(),
    )
        .into_response()
}

fn json_or_404(v: Option<Value>) -> Response {
    match v {
        Some(v) => json_ok(&v),
        None => ApiError::no_route().into_response(),
    }
}

async fn core_handler(State(c): State<Shared>, Path(rest): Path<String>, req: Request) -> Response {
    handle(c, "", "v1", rest, req).await
}

async fn group_handler(
    State(c): State<Shared>,
    Path((g, v, rest)): Path<(String, String, String)>,
    req: Request,
) -> Response {
    handle(c, &g, &v, rest, req).await
}

/// A parsed resource path.
struct Target {
    def: &'static ResourceDef,
    ns: Option<String>,
    name: Option<String>,
    sub: Option<String>,
    legacy_watch: bool,
}

/// `[watch/][namespaces/<ns>/]<plural>[/<name>[/<sub>]]`
fn parse_path(group: &str, version: &str, rest: &str) -> ApiResult<Target> {
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
fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn list_options(def: &ResourceDef, q: &HashMap<String, String>) -> ApiResult<ListOptions> {
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

async fn read_body(body: Body) -> ApiResult<Bytes> {
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
fn parse_body(headers: &HeaderMap, bytes: &[u8]) -> ApiResult<Value> {
    if protobuf::is_protobuf(header(headers, "content-type"), bytes) {
        return protobuf::decode(bytes);
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
    })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Responses are always JSON. A client that lists protobuf (or anything else) but neither JSON
/// nor a wildcard could not read them: 406, as the real server answers an unservable Accept.
fn check_accept(accept: &str) -> ApiResult<()> {
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

fn is_true(q: &HashMap<String, String>, k: &str) -> bool {
    q.get(k).is_some_and(|v| v == "true" || v == "1")
}

async fn handle(c: Shared, group: &str, version: &str, rest: String, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let faults_latency = c.faults.latency();
    if !faults_latency.is_zero() {
        tokio::time::sleep(faults_latency).await;
    }
    if c.faults.roll_error() {
        return ApiError::internal("injected fault").into_response();
    }
    let target = match parse_path(group, version, &rest) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    if c.faults.roll_conflict() && (parts.method == Method::PUT || parts.method == Method::PATCH) {
        let name = target.name.as_deref().unwrap_or("");
        return ApiError::conflict(target.def.group, target.def.plural, name).into_response();
    }
    let q = parse_query(parts.uri.query());
    c.requests
        .count(audit::verb(&parts.method, &target, &q), &target.resource());
    if target.def.is_review() {
        let requester = parts
            .extensions
            .get::<Requester>()
            .cloned()
            .unwrap_or_default();
        return auth_layer::review(
            &c,
            target.def,
            &parts.method,
            &parts.headers,
            &requester,
            body,
        )
        .await
        .unwrap_or_else(IntoResponse::into_response);
    }
    match dispatch(c, target, &parts.method, &parts.headers, q, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn dispatch(
    c: Shared,
    t: Target,
    method: &Method,
    headers: &HeaderMap,
    q: HashMap<String, String>,
    body: Body,
) -> ApiResult<Response> {
    let def = t.def;
    if def.namespaced && t.ns.is_none() && t.name.is_some() {
        return Err(ApiError::no_route());
    }
    let ns = t.ns.clone().unwrap_or_default();
    let accept = header(headers, "accept");
    check_accept(accept)?;
    let wants_table = accept.contains("as=Table");
    // `as=PartialObjectMetadata` (get, watch) or `as=PartialObjectMetadataList` (list).
    let wants_metadata = accept.contains("as=PartialObjectMetadata");
    if def.is_virtual() {
        if method != Method::GET {
            return Err(ApiError::method_not_allowed(method.as_str(), def.plural));
        }
        let opts = list_options(def, &q)?;
        let v = crate::metrics_server::serve(&c, def, t.ns.as_deref(), t.name.as_deref(), &opts)?;
        return Ok(json_ok(&v));
    }
    let watching = t.legacy_watch || is_true(&q, "watch");
    match (method.clone(), t.name.as_deref()) {
        (Method::GET, None) if watching => {
            let opts = list_options(def, &q)?;
            let timeout = q
                .get("timeoutSeconds")
                .and_then(|s| s.parse::<u64>().ok())
                .map(Duration::from_secs);
            let p = watch::WatchParams {
                ns: t.ns.clone(),
                opts,
                resource_version: q.get("resourceVersion").cloned(),
                bookmarks: is_true(&q, "allowWatchBookmarks"),
                send_initial: is_true(&q, "sendInitialEvents"),
                timeout,
                metadata_only: wants_metadata,
            };
            Ok(watch::serve(c, def, p))
        }
        (Method::GET, Some(name)) if watching => {
            let mut q = q;
            q.insert("fieldSelector".into(), format!("metadata.name={name}"));
            let opts = list_options(def, &q)?;
            let p = watch::WatchParams {
                ns: t.ns.clone(),
                opts,
                resource_version: q.get("resourceVersion").cloned(),
                bookmarks: is_true(&q, "allowWatchBookmarks"),
                send_initial: false,
                timeout: q
                    .get("timeoutSeconds")
                    .and_then(|s| s.parse::<u64>().ok())
                    .map(Duration::from_secs),
                metadata_only: wants_metadata,
            };
            Ok(watch::serve(c, def, p))
        }
        (Method::GET, None) => {
            let opts = list_options(def, &q)?;
            if wants_table {
                let list = c.list(def, t.ns.as_deref(), &opts)?;
                return Ok(json_ok(&table::from_list(def, &list, &q)));
            }
            let bytes = c.list_json(def, t.ns.as_deref(), &opts, wants_metadata)?;
            Ok((
                StatusCode::OK,
                [("content-type", "application/json")],
                bytes,
            )
                .into_response())
        }
        (Method::GET, Some(name))
            if def.group.is_empty() && def.plural == "pods" && t.sub.as_deref() == Some("log") =>
        {
            logs::serve(&c.get(def, &ns, name, Sub::Main)?, &q)
        }
        (Method::GET, Some(name)) => {
            let sub = Sub::parse(def, t.sub.as_deref())?;
            let obj = c.get(def, &ns, name, sub)?;
            Ok(json_ok(&if wants_table && sub == Sub::Main {
                table::from_object(def, &obj, &q)
            } else if wants_metadata && sub == Sub::Main {
                crate::registry::partial_metadata(&obj)
            } else {
                obj
            }))
        }
        (Method::POST, None) => {
            if def.namespaced && t.ns.is_none() {
                return Err(ApiError::method_not_allowed("POST", def.plural));
            }
            let body = parse_body(headers, &read_body(body).await?)?;
            fieldcheck::check(def, &q, &body)?;
            let created = c.create(def, &ns, body).await?;
            Ok(json_status(StatusCode::CREATED, &created))
        }
        (Method::POST, Some(name))
            if t.sub.as_deref() == Some("token") && def.subresources.contains(&"token") =>
        {
            let body = parse_body(headers, &read_body(body).await?)?;
            Ok(json_status(
                StatusCode::CREATED,
                &c.create_token(&ns, name, body)?,
            ))
        }
        (Method::PUT, Some(name)) => {
            let sub = Sub::parse(def, t.sub.as_deref())?;
            let body = parse_body(headers, &read_body(body).await?)?;
            if sub == Sub::Main {
                fieldcheck::check(def, &q, &body)?;
            }
            Ok(json_ok(&c.replace(def, &ns, name, sub, body)?))
        }
        (Method::PATCH, Some(name)) => {
            let sub = Sub::parse(def, t.sub.as_deref())?;
            let kind = PatchKind::from_content_type(header(headers, "content-type"))?;
            let bytes = read_body(body).await?;
            // A merge-style patch has the object's shape: its fields are checked as given.
            if kind != PatchKind::Json
                && sub == Sub::Main
                && let Ok(partial) = serde_json::from_slice::<Value>(&bytes)
            {
                fieldcheck::check(def, &q, &partial)?;
            }
            let fm = q.get("fieldManager").map(String::as_str);
            Ok(json_ok(
                &c.patch(
                    def,
                    &ns,
                    name,
                    sub,
                    PatchRequest {
                        kind,
                        body: &bytes,
                        field_manager: fm,
                    },
                )
                .await?,
            ))
        }
        (Method::DELETE, Some(name)) => {
            if t.sub.is_some() {
                return Err(ApiError::method_not_allowed("DELETE", def.plural));
            }
            let bytes = read_body(body).await?;
            let opts = if bytes.is_empty() {
                None
            } else {
                Some(parse_body(headers, &bytes)?)
            };
            let mut opts = opts;
            if let Some(pp) = q.get("propagationPolicy") {
                opts.get_or_insert_with(|| serde_json::json!({}))["propagationPolicy"] =
                    Value::String(pp.clone());
            }
            Ok(json_ok(&c.delete(def, &ns, name, opts.as_ref())?))
        }
        (Method::DELETE, None) => {
            let opts = list_options(def, &q)?;
            Ok(json_ok(&c.delete_collection(
                def,
                t.ns.as_deref(),
                &opts,
            )?))
        }
        (m, _) => Err(ApiError::method_not_allowed(m.as_str(), def.plural)),
    }
}

#[cfg(test)]
mod tests;
