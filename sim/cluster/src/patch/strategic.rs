//! Applying a strategic merge patch, as the API server does (k8s.io/apimachinery
//! `pkg/util/strategicpatch/patch.go`, `StrategicMergeMapPatch` with `MergeParallelList` and
//! `IgnoreUnmatchedNulls`): maps merge key by key, `null` deletes, lists merge or are replaced as
//! the field's patch tags say ([`merge_keys`](super::merge_keys)), and the directives
//! `$patch: replace|delete` (in maps and list items), `$retainKeys`,
//! `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` do what the
//! [SMP document](https://git.k8s.io/community/contributors/devel/sig-api-machinery/strategic-merge-patch.md)
//! says. Written from that behaviour, not translated line by line.

use serde_json::{Map, Value};

use super::list::{merge_list, merge_list_aliased, normalize_order, partition};
use super::merge_keys::{Schema, Strategy};

pub(super) const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER_PREFIX: &str = "$setElementOrder";
const DELETE_PRIMITIVE_PREFIX: &str = "$deleteFromPrimitiveList";

/// Why a strategic merge patch could not be applied, with the status code the API server
/// answers (`interpretStrategicMergePatchError` in apiserver `endpoints/handlers/patch.go`:
/// format errors are 400, lists of lists and retainKeys mismatches 422, the rest 500).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmpError {
    #[error("{0}")]
    BadRequest(&'static str),
    #[error("{0}")]
    Unprocessable(&'static str),
    #[error("{0}")]
    Internal(String),
}

impl SmpError {
    pub fn code(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unprocessable(_) => 422,
            Self::Internal(_) => 500,
        }
    }
}

pub(super) type SmpResult<T> = Result<T, SmpError>;

const BAD_SET_ORDER: SmpError =
    SmpError::BadRequest("invalid patch format of setElementOrder list");
const BAD_PRIMITIVE_LIST: SmpError = SmpError::BadRequest("invalid patch format of primitive list");
const BAD_RETAIN_KEYS: SmpError = SmpError::BadRequest("invalid patch format of retainKeys");

pub(super) fn no_merge_key(m: &Map<String, Value>, key: &str) -> SmpError {
    SmpError::Internal(format!(
        "map: {} does not contain declared merge key: {key}",
        Value::Object(m.clone())
    ))
}

pub(super) fn bad_patch_type(t: &Value, m: &Map<String, Value>) -> SmpError {
    SmpError::Internal(format!(
        "unknown patch type: {} in map: {}",
        t.as_str().map_or_else(|| t.to_string(), str::to_string),
        Value::Object(m.clone())
    ))
}

/// Apply `patch` to `original` (an object of the type `schema` names). The result still holds
/// directive keys a patch added under new fields; the caller strips `$`-keys, as decoding into
/// the typed object does on the real server.
pub fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Schema,
) -> SmpResult<Map<String, Value>> {
    if let Some(d) = patch.get(DIRECTIVE) {
        return match d.as_str() {
            Some("replace") => {
                patch.remove(DIRECTIVE);
                Ok(patch)
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(bad_patch_type(d, &patch)),
        };
    }
    retain_keys(&mut original, &mut patch)?;
    set_element_orders(&mut original, &mut patch, schema)?;
    for (k, patch_v) in patch {
        let (key, delete_list) = match k.strip_prefix(DELETE_PRIMITIVE_PREFIX) {
            Some(rest) => (
                rest.strip_prefix('/')
                    .ok_or(BAD_PRIMITIVE_LIST)?
                    .to_string(),
                true,
            ),
            None => (k, false),
        };
        if patch_v.is_null() {
            original.remove(&key);
            continue;
        }
        let Some(orig_v) = original.remove(&key) else {
            if !delete_list {
                put_new(&mut original, key, patch_v);
            }
            continue;
        };
        let merged = match (orig_v, patch_v) {
            (Value::Object(o), Value::Object(p)) => {
                let (sub, meta) = schema.field(&key);
                if meta.strategy == Strategy::Replace {
                    Value::Object(p)
                } else {
                    Value::Object(merge_map(o, p, sub)?)
                }
            }
            (Value::Array(o), Value::Array(p)) => {
                let (sub, meta) = schema.field(&key);
                if meta.strategy == Strategy::Merge || delete_list {
                    Value::Array(merge_list(o, p, sub, meta.merge_key, delete_list)?)
                } else {
                    Value::Array(p)
                }
            }
            (orig_v, patch_v) if delete_list => {
                // A deletion list whose field is not a list of the same shape: nothing to do.
                original.insert(key, orig_v);
                let _ = patch_v;
                continue;
            }
            (_, patch_v) => {
                if let Some(v) = remove_directives(patch_v) {
                    original.insert(key, v);
                }
                continue;
            }
        };
        original.insert(key, merged);
    }
    Ok(original)
}

/// A patch value for a field the original lacks: taken as is, without nulls and directives.
fn put_new(original: &mut Map<String, Value>, key: String, mut v: Value) {
    discard_nulls(&mut v);
    if let Some(v) = remove_directives(v) {
        original.insert(key, v);
    }
}

/// `$retainKeys: [..]`: fields of the original not listed are cleared; a patch field not listed
/// makes the patch invalid.
fn retain_keys(original: &mut Map<String, Value>, patch: &mut Map<String, Value>) -> SmpResult<()> {
    let Some(list) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(keep) = list else {
        return Err(BAD_RETAIN_KEYS);
    };
    let listed = |k: &str| keep.iter().any(|v| v.as_str() == Some(k));
    let stray = patch.iter().any(|(k, v)| {
        !v.is_null()
            && !k.starts_with(DELETE_PRIMITIVE_PREFIX)
            && !k.starts_with(SET_ORDER_PREFIX)
            && !listed(k)
    });
    if stray {
        return Err(BAD_RETAIN_KEYS);
    }
    original.retain(|k, _| listed(k));
    Ok(())
}

/// `$setElementOrder/<list>`: merge the list now and order it as the directive says; items
/// only the server has keep their place relative to their neighbours in the live list.
fn set_element_orders(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
) -> SmpResult<()> {
    let keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ORDER_PREFIX))
        .cloned()
        .collect();
    for k in keys {
        let order = patch.remove(&k).unwrap_or(Value::Null);
        let Value::Array(order) = order else {
            return Err(SmpError::Internal(format!(
                "expected a []interface {{}}, but received a {}",
                go_type(&order)
            )));
        };
        let field = k[SET_ORDER_PREFIX.len()..]
            .strip_prefix('/')
            .ok_or(BAD_SET_ORDER)?
            .to_string();
        let orig_list = list_at(original, &field)?;
        let patch_list = list_at(patch, &field)?;
        let (sub, meta) = schema.field(&field);
        let key = meta.merge_key;
        if let Some(p) = &patch_list {
            check_order(p, &order, key)?;
        }
        let mut live = orig_list.clone().unwrap_or_default();
        let merged = match (orig_list, patch_list) {
            (Some(o), None) => o,
            (None, Some(p)) => match remove_directives(Value::Array(p)) {
                Some(Value::Array(p)) => p,
                _ => Vec::new(),
            },
            (Some(o), Some(p)) => {
                if meta.strategy == Strategy::Merge {
                    let (merged, view) = merge_list_aliased(o, p, sub, key, false)?;
                    live = view;
                    merged
                } else {
                    p
                }
            }
            (None, None) => continue,
        };
        patch.remove(&field);
        let (in_order, server_only) = partition(merged, &order, key)?;
        original.insert(
            field,
            Value::Array(normalize_order(in_order, server_only, &order, &live, key)?),
        );
    }
    Ok(())
}

fn list_at(m: &Map<String, Value>, field: &str) -> SmpResult<Option<Vec<Value>>> {
    match m.get(field) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a.clone())),
        Some(other) => Err(SmpError::Internal(format!(
            "expected a []interface {{}}, but received a {}",
            go_type(other)
        ))),
    }
}

/// The patch list's items (deletions aside) appear in the order list in the same relative order.
fn check_order(patch: &[Value], order: &[Value], key: &str) -> SmpResult<()> {
    let items: Vec<&Value> = patch
        .iter()
        .filter(|v| key.is_empty() || !is_delete(v))
        .collect();
    let (mut pi, mut oi) = (0, 0);
    while pi < items.len() && oi < order.len() {
        if has_directive(items[pi]) {
            pi += 1;
            continue;
        }
        if same_key(items[pi], &order[oi], key)? {
            pi += 1;
        }
        oi += 1;
    }
    if pi < items.len() {
        return Err(SmpError::Internal(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ORDER_PREFIX} list:\n{}\n",
            Value::Array(patch.to_vec()),
            Value::Array(order.to_vec())
        )));
    }
    Ok(())
}

fn same_key(a: &Value, b: &Value, key: &str) -> SmpResult<bool> {
    if key.is_empty() {
        return Ok(a == b);
    }
    let ka = key_of(a, key)?;
    let kb = key_of(b, key)?;
    Ok(ka == kb)
}

pub(super) fn key_of<'a>(v: &'a Value, key: &str) -> SmpResult<&'a Value> {
    match v {
        Value::Object(m) => m.get(key).ok_or_else(|| no_merge_key(m, key)),
        other => Err(SmpError::Internal(format!(
            "expected a map[string]interface {{}}, but received a {}",
            go_type(other)
        ))),
    }
}

fn has_directive(v: &Value) -> bool {
    v.as_object().is_some_and(|m| m.contains_key(DIRECTIVE))
}

pub(super) fn is_delete(v: &Value) -> bool {
    v.get(DIRECTIVE).and_then(Value::as_str) == Some("delete")
}

/// Drop maps carrying `$patch` (and the fields holding them) from a value taken from the patch.
pub fn remove_directives(v: Value) -> Option<Value> {
    match v {
        Value::Object(m) => {
            if m.contains_key(DIRECTIVE) {
                return None;
            }
            Some(Value::Object(
                m.into_iter()
                    .filter_map(|(k, v)| remove_directives(v).map(|v| (k, v)))
                    .collect(),
            ))
        }
        Value::Array(a) => Some(Value::Array(
            a.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}

fn discard_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(discard_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

/// Remove every `$`-prefixed key left in a merged object: the typed object the real server
/// decodes the result into has no such fields.
pub fn strip_directive_keys(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.starts_with('$'));
            m.values_mut().for_each(strip_directive_keys);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_directive_keys),
        _ => {}
    }
}

/// The Go type name of a decoded JSON value, as apimachinery's errors print it.
pub(super) fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}
