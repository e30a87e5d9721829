//! The wire helpers every protobuf message module uses: decoding a message after refusing any
//! field number outside its known set (the sim would otherwise drop data silently), the 400
//! answer for a malformed body, and building JSON objects that keep only the fields that carry
//! a value (Go's marshaller writes every non-pointer field, empty or not).

use std::collections::BTreeMap;

use prost::Message;
use prost::encoding::{decode_key, skip_field};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};

/// The 400 answer for a body that is not a well-formed `what`.
pub(super) fn malformed(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("unable to decode protobuf {what}: {e}"))
}

/// Refuse a message carrying a field number outside `known`: the sim would otherwise drop it.
fn check_fields(bytes: &[u8], known: &[u32], what: &str) -> ApiResult<()> {
    let mut buf = bytes;
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf).map_err(|e| malformed(what, e))?;
        if !known.contains(&tag) {
            return Err(ApiError::bad_request(format!(
                "protobuf field {tag} of {what} is not supported by the simulated API server; send the object as JSON"
            )));
        }
        skip_field(wire_type, tag, &mut buf, Default::default()).map_err(|e| malformed(what, e))?;
    }
    Ok(())
}

/// Decode `bytes` as `M` after [`check_fields`].
pub(super) fn decode_checked<M: Message + Default>(
    bytes: &[u8],
    known: &[u32],
    what: &str,
) -> ApiResult<M> {
    check_fields(bytes, known, what)?;
    M::decode(bytes).map_err(|e| malformed(what, e))
}

/// Insert `v` under `key` unless it is absent or empty.
pub(super) fn put_str(m: &mut Map<String, Value>, key: &str, v: Option<String>) {
    if let Some(v) = v.filter(|v| !v.is_empty()) {
        m.insert(key.into(), Value::String(v));
    }
}

/// Insert the map `v` under `key` unless it is empty.
pub(super) fn put_map(m: &mut Map<String, Value>, key: &str, v: BTreeMap<String, String>) {
    if !v.is_empty() {
        m.insert(key.into(), json!(v));
    }
}

/// An object of the string fields in `pairs` that carry a value.
pub(super) fn obj(pairs: Vec<(&str, Option<String>)>) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in pairs {
        put_str(&mut m, k, v);
    }
    m
}

/// Insert the list `v` under `key` unless it is empty.
pub(super) fn put_list(m: &mut Map<String, Value>, key: &str, v: Vec<String>) {
    if !v.is_empty() {
        m.insert(key.into(), json!(v));
    }
}
