//! The HTTP surface (axum): discovery, health, and one handler for every resource path under
//! `/api/v1/...` and `/apis/<group>/<version>/...`. Paths are parsed here into a resource, an
//! optional namespace, name and subresource; the verb follows from the method and `watch`.
//! Every failure is a `Status` body; bodies are capped at the real server's 3 MiB.
//!
//! This module owns the routes and the steps every resource request takes before its verb
//! runs (injected latency and errors, request counting, the review kinds); `request` parses
//! paths, queries and bodies, `dispatch` runs the verb, `response` writes the answers.

mod audit;
mod auth_layer;
pub mod discovery;
mod dispatch;
pub mod fieldcheck;
pub mod logs;
pub mod openapi;
pub mod printers;
pub mod protobuf;
mod request;
mod response;
pub mod table;
mod table_auth;
mod table_kinds;
pub mod watch;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};

use crate::auth::Requester;
use crate::error::ApiError;
use crate::state::Cluster;
use request::{parse_path, parse_query};
use response::{json_ok, json_or_404};

type Shared = Arc<Cluster>;

/// Build the router for one cluster.
pub fn router(cluster: Shared) -> Router {
    Router::new()
        .route(
            "/version",
            get(|State(c): State<Shared>| async move { json_ok(&discovery::version(&c.config)) }),
        )
        // The official Python client asks `/version/`; the real server answers it the same.
        .route(
            "/version/",
            get(|State(c): State<Shared>| async move { json_ok(&discovery::version(&c.config)) }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route(
            "/api",
            get(|State(c): State<Shared>| async move {
                json_ok(&discovery::core_versions(&c.server_address()))
            }),
        )
        .route("/apis", get(|| async { json_ok(&discovery::group_list()) }))
        .route(
            "/api/v1",
            get(|| async { json_or_404(discovery::resource_list("", "v1")) }),
        )
        .route(
            "/apis/{group}",
            get(|Path(g): Path<String>| async move { json_or_404(discovery::group(&g)) }),
        )
        .route(
            "/apis/{group}/{version}",
            get(|Path((g, v)): Path<(String, String)>| async move {
                json_or_404(discovery::resource_list(&g, &v))
            }),
        )
        .route("/openapi/v3", get(|| async { json_ok(&openapi::root()) }))
        .route(
            "/openapi/v3/{*path}",
            get(
                |State(c): State<Shared>, Path(p): Path<String>| async move {
                    json_or_404(openapi::group_version(&p, c.config.version))
                },
            ),
        )
        .route("/api/v1/{*rest}", any(core_handler))
        .route("/apis/{group}/{version}/{*rest}", any(group_handler))
        .fallback(|| async { ApiError::no_route() })
        .layer(axum::middleware::from_fn_with_state(
            cluster.clone(),
            auth_layer::authenticate_and_authorize,
        ))
        .with_state(cluster)
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

/// Every resource request: injected latency and errors, the parsed target, the request count,
/// the review kinds (answered, never stored), then the verb (`dispatch`).
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
    match dispatch::dispatch(c, target, &parts.method, &parts.headers, q, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests;
