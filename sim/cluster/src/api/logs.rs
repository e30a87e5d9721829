//! `GET .../pods/<name>/log` (`kubectl logs`): the simulated containers run no process, so
//! there is nothing to show; the answer says so in plain text (as the real endpoint answers
//! `text/plain`) instead of the 404 a client would take for a missing pod. The container
//! checks are the real server's (kubernetes `pkg/registry/core/pod/strategy.go`
//! `LogLocation`): an unknown container is a 400, and a pod of several containers needs one
//! named.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::util;

/// Container names of every kind the log endpoint accepts.
fn container_names(pod: &Value) -> Vec<&str> {
    ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| pod["spec"][*k].as_array().into_iter().flatten())
        .filter_map(|c| c["name"].as_str())
        .collect()
}

/// The log answer for `pod` and the request's query.
pub fn serve(pod: &Value, q: &HashMap<String, String>) -> ApiResult<Response> {
    let name = util::str_at(pod, "metadata.name");
    let ns = util::str_at(pod, "metadata.namespace");
    let names = container_names(pod);
    let container = match q.get("container").filter(|c| !c.is_empty()) {
        Some(c) if names.contains(&c.as_str()) => c.clone(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )));
        }
        None => match pod["spec"]["containers"].as_array().map(Vec::as_slice) {
            Some([only]) => only["name"].as_str().unwrap_or("").to_string(),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    names.join(" ")
                )));
            }
        },
    };
    let profile = pod["metadata"]["annotations"]["sim.rightsize.dev/memory-profile"]
        .as_str()
        .unwrap_or("the default profile");
    let text = format!(
        "[rightsize simulated cluster] container {container:?} of pod {ns}/{name} is simulated: \
         no process runs, so there are no logs. Its memory usage follows {profile} \
         (annotation sim.rightsize.dev/memory-profile); see `kubectl describe pod {name} -n {ns}` \
         for its state and events.\n"
    );
    Ok((StatusCode::OK, [("content-type", "text/plain")], text).into_response())
}
