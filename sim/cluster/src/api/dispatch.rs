//! What each verb does with a parsed request: maps method, name and subresource to the
//! registry's operation (get, list, watch, create, update, patch, delete, deletecollection, the
//! `log` and `token` subresources, the computed metrics kinds) and shapes the answer (JSON,
//! Table, PartialObjectMetadata). Separate from routing (`api`), which finds the target and
//! applies faults, and from request parsing (`request`), which reads the wire format.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::request::{
    Target, check_accept, header, is_true, list_options, parse_body, read_body, watch_params,
};
use super::response::{json_ok, json_status};
use super::{Shared, fieldcheck, logs, table, watch};
use crate::error::{ApiError, ApiResult};
use crate::patch::PatchKind;
use crate::registry::{PatchRequest, Sub};

/// Serve one resource request whose target is parsed and whose faults are applied.
pub(super) async fn dispatch(
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
            let send_initial = is_true(&q, "sendInitialEvents");
            Ok(watch::serve(
                c,
                def,
                watch_params(&t, &q, opts, send_initial, wants_metadata),
            ))
        }
        (Method::GET, Some(name)) if watching => {
            let mut q = q;
            q.insert("fieldSelector".into(), format!("metadata.name={name}"));
            let opts = list_options(def, &q)?;
            Ok(watch::serve(
                c,
                def,
                watch_params(&t, &q, opts, false, wants_metadata),
            ))
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
