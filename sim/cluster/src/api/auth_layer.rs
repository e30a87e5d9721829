//! The API's door: who sent each request and whether they may (`auth`), applied to every
//! route as a middleware before routing, as the real server's filter chain authenticates and
//! authorizes first; and SelfSubjectAccessReview, which answers with the same authorizer.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Shared;
use super::request::{parse_body, parse_query, read_body};
use super::response::json_status;
use crate::auth::Requester;
use crate::auth::request_info::RequestInfo;
use crate::error::{ApiError, ApiResult};
use crate::state::Cluster;

/// Every request, resource or not: who sent it (`auth`), and whether RBAC lets a
/// ServiceAccount do it, before any routing, as the real server's filter chain does. The
/// requester travels on in the request's extensions (SelfSubjectAccessReview needs it).
pub(super) async fn authenticate_and_authorize(
    State(c): State<Shared>,
    mut req: Request,
    next: axum::middleware::Next,
) -> Response {
    let requester = match c.authenticate(req.headers()) {
        Ok(user) => Requester(user),
        Err(e) => return e.into_response(),
    };
    if requester.0.is_some() {
        let q = parse_query(req.uri().query());
        let info = RequestInfo::new(req.method().as_str(), req.uri().path(), &q);
        if let Err(e) = c.check_access(&requester, &info) {
            return e.into_response();
        }
    }
    req.extensions_mut().insert(requester);
    next.run(req).await
}

/// POST of a SelfSubjectAccessReview: answered, never stored (201 as the real server answers).
pub(super) async fn review(
    c: &Cluster,
    def: &crate::resources::ResourceDef,
    method: &Method,
    headers: &HeaderMap,
    requester: &Requester,
    body: Body,
) -> ApiResult<Response> {
    if method != Method::POST {
        return Err(ApiError::method_not_allowed(method.as_str(), def.plural));
    }
    let body = parse_body(headers, &read_body(body).await?)?;
    let answer = if def.plural == "selfsubjectreviews" {
        c.self_subject_review(requester, body)
    } else {
        c.self_subject_access_review(requester, body)?
    };
    Ok(json_status(StatusCode::CREATED, &answer))
}
