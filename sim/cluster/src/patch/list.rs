//! Merging one list field of a strategic merge patch: lists of scalars are unioned (or pruned
//! by a `$deleteFromPrimitiveList`), lists of objects are matched by their merge key (with
//! `$patch: delete|replace` items), and the result is ordered as apimachinery orders it: the
//! patch's items in the patch's order, the server-only items interleaved where they stood
//! (`normalizeElementOrder` / `mergeSortedSlice` in `strategicpatch/patch.go`).

use serde_json::Value;

use super::merge_keys::Schema;
use super::strategic::{
    DIRECTIVE, SmpError, SmpResult, bad_patch_type, is_delete, key_of, merge_map, no_merge_key,
};

/// Merge two lists of a field with the merge strategy (or a `$deleteFromPrimitiveList`).
pub(super) fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    schema: Schema,
    key: &str,
    delete_list: bool,
) -> SmpResult<Vec<Value>> {
    Ok(merge_list_aliased(original, patch, schema, key, delete_list)?.0)
}

/// [`merge_list`], also returning the live list as apimachinery sees it afterwards when it
/// orders a `$setElementOrder` list. Go deletes and appends list items in place, so the live
/// list it then orders by holds the items shifted left over deleted ones and the first appended
/// items in the freed slots (its `original` slice shares the array). The server's order
/// depends on that (apimachinery's test "add map and delete map from merging list" expects it),
/// so the same view is rebuilt here.
pub(super) fn merge_list_aliased(
    original: Vec<Value>,
    patch: Vec<Value>,
    schema: Schema,
    key: &str,
    delete_list: bool,
) -> SmpResult<(Vec<Value>, Vec<Value>)> {
    if original.is_empty() && patch.is_empty() {
        return Ok((original, Vec::new()));
    }
    let mut view = original.clone();
    let of_maps = element_kind(&original, &patch)?;
    if !of_maps {
        if delete_list {
            let kept = original.into_iter().filter(|v| !patch.contains(v));
            return Ok((kept.collect(), view));
        }
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for v in original.iter().chain(patch.iter()) {
            if !merged.contains(v) {
                merged.push(v.clone());
            }
        }
        let (in_patch, server_only) = partition(merged, &patch, "")?;
        let ordered = normalize_order(in_patch, server_only, &patch, &original, "")?;
        return Ok((ordered, view));
    }
    if key.is_empty() {
        return Err(SmpError::Internal(format!(
            "cannot merge lists without merge key for {}",
            schema.name()
        )));
    }
    let (base, items, replaced) = special_elements(original, patch, key)?;
    if !replaced {
        // Deletions shifted the live items left; the slots past them keep their old items.
        view[..base.len()].clone_from_slice(&base);
    }
    let mut merged = base.clone();
    for item in &items {
        let Value::Object(p) = item else {
            unreachable!("element_kind checked every item is an object")
        };
        let id = p.get(key).ok_or_else(|| no_merge_key(p, key))?;
        match position(&merged, key, id)? {
            Some(i) => {
                let Value::Object(o) = std::mem::take(&mut merged[i]) else {
                    unreachable!("position only matches objects")
                };
                merged[i] = Value::Object(merge_map(o, p.clone(), schema)?);
            }
            None => {
                // An append lands in a freed slot of the shared array while there is one.
                if !replaced && merged.len() < view.len() {
                    view[merged.len()] = item.clone();
                }
                merged.push(item.clone());
            }
        }
    }
    let (in_patch, server_only) = partition(merged, &items, key)?;
    Ok((
        normalize_order(in_patch, server_only, &items, &base, key)?,
        view,
    ))
}

/// Whether the lists hold objects (`true`) or scalars; lists of lists are refused.
fn element_kind(a: &[Value], b: &[Value]) -> SmpResult<bool> {
    let mut kind = None;
    for v in a.iter().chain(b) {
        if v.is_array() {
            return Err(SmpError::Unprocessable("lists of lists are not supported"));
        }
        match kind {
            None => kind = Some(v.is_object()),
            Some(k) if k != v.is_object() => {
                return Err(SmpError::Internal(
                    "mismatched types in a merging list".to_string(),
                ));
            }
            _ => {}
        }
    }
    Ok(kind.unwrap_or(false))
}

/// List items carrying `$patch`: `delete` removes the original items with that key, `replace`
/// makes the patch's other items the whole list. Returns (base list, items to merge, replaced).
fn special_elements(
    original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> SmpResult<(Vec<Value>, Vec<Value>, bool)> {
    let mut original = original;
    let mut plain = Vec::new();
    let mut replace = false;
    for item in patch {
        let Value::Object(m) = &item else {
            unreachable!("element_kind checked every item is an object")
        };
        match m.get(DIRECTIVE) {
            None => plain.push(item),
            Some(d) => match d.as_str() {
                Some("delete") => {
                    let id = m.get(key).ok_or_else(|| no_merge_key(m, key))?;
                    original.retain(|o| o.get(key) != Some(id));
                }
                Some("replace") => replace = true,
                Some("merge") => {
                    return Err(SmpError::Internal(
                        "merging lists cannot yet be specified in the patch".to_string(),
                    ));
                }
                _ => return Err(bad_patch_type(d, m)),
            },
        }
    }
    if replace {
        return Ok((plain, Vec::new(), true));
    }
    Ok((original, plain, false))
}

fn position(list: &[Value], key: &str, id: &Value) -> SmpResult<Option<usize>> {
    for (i, v) in list.iter().enumerate() {
        match v {
            Value::Object(m) if m.get(key) == Some(id) => return Ok(Some(i)),
            Value::Object(_) => {}
            _ => {
                return Err(SmpError::Internal(format!(
                    "value for key {i} is not a map"
                )));
            }
        }
    }
    Ok(None)
}

/// Split `merged` into the items present in `by` (by merge key, or by value for scalars) and
/// the others.
pub(super) fn partition(
    merged: Vec<Value>,
    by: &[Value],
    key: &str,
) -> SmpResult<(Vec<Value>, Vec<Value>)> {
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    for v in merged {
        let found = if key.is_empty() {
            by.contains(&v)
        } else {
            let id = key_of(&v, key)?;
            by.iter().any(|b| b.get(key) == Some(id))
        };
        if found {
            inside.push(v);
        } else {
            outside.push(v);
        }
    }
    Ok((inside, outside))
}

fn index_in(list: &[Value], v: &Value, key: &str) -> Option<usize> {
    let id = |x: &Value| -> Value {
        if key.is_empty() {
            x.clone()
        } else {
            x.get(key).cloned().unwrap_or(Value::Null)
        }
    };
    let want = id(v);
    list.iter().position(|x| id(x) == want)
}

/// Order the patch's items by `patch_order` and the server-only items by `server_order`, then
/// interleave them: a server-only item goes before the first patch item that follows it in the
/// live list (best effort, relative orders kept).
pub(super) fn normalize_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: &str,
) -> SmpResult<Vec<Value>> {
    let patch_items = sort_by_order(patch_items, patch_order, key)?;
    let server_only = sort_by_order(server_only, server_order, key)?;
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (index_in(server_order, l, key), index_in(server_order, r, key)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    Ok(out)
}

/// Stable sort by position in `order`; list items marked for deletion go last.
fn sort_by_order(items: Vec<Value>, order: &[Value], key: &str) -> SmpResult<Vec<Value>> {
    let (mut keep, deleted): (Vec<Value>, Vec<Value>) = if key.is_empty() {
        (items, Vec::new())
    } else {
        for v in items.iter().chain(order) {
            key_of(v, key)?;
        }
        items.into_iter().partition(|v| !is_delete(v))
    };
    keep.sort_by_key(|v| index_in(order, v, key).unwrap_or(usize::MAX));
    keep.extend(deleted);
    Ok(keep)
}
