//! Label and field selectors: the string forms of `?labelSelector=` / `?fieldSelector=` (apimachinery
//! `pkg/labels/selector.go`, `pkg/fields/selector.go`) and the structured `metav1.LabelSelector`
//! used by Deployments and webhook configurations.

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::util;

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Exists,
    NotExists,
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Gt(i64),
    Lt(i64),
}

#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    key: String,
    op: Op,
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    reqs: Vec<Requirement>,
}

/// Label keys: optional DNS prefix, then a name of alphanumerics, '-', '_', '.' (apimachinery
/// `IsQualifiedName`); values at most 63 such characters.
fn valid_key(k: &str) -> bool {
    let name = k.rsplit_once('/').map_or(k, |(_, n)| n);
    !name.is_empty()
        && name.len() <= 63
        && k.len() <= 317
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Split on commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn parse_set(rest: &str) -> Option<Vec<String>> {
    let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    )
}

fn parse_requirement(raw: &str) -> Option<Requirement> {
    let r = raw.trim();
    if let Some(k) = r.strip_prefix('!') {
        return Some(Requirement {
            key: k.trim().to_string(),
            op: Op::NotExists,
        });
    }
    for (tok, is_in) in [(" notin ", false), (" in ", true)] {
        if let Some(idx) = r.find(tok) {
            let key = r[..idx].trim().to_string();
            let set = parse_set(&r[idx + tok.len()..])?;
            let op = if is_in { Op::In(set) } else { Op::NotIn(set) };
            return Some(Requirement { key, op });
        }
    }
    type MakeOp = fn(String) -> Option<Op>;
    let ops: [(&str, MakeOp); 5] = [
        ("!=", |v| Some(Op::NotEq(v))),
        ("==", |v| Some(Op::Eq(v))),
        ("=", |v| Some(Op::Eq(v))),
        (">", |v| v.parse().ok().map(Op::Gt)),
        ("<", |v| v.parse().ok().map(Op::Lt)),
    ];
    for (tok, make) in ops {
        if let Some(idx) = r.find(tok) {
            let key = r[..idx].trim().to_string();
            let value = r[idx + tok.len()..].trim().to_string();
            return Some(Requirement {
                key,
                op: make(value)?,
            });
        }
    }
    Some(Requirement {
        key: r.to_string(),
        op: Op::Exists,
    })
}

impl LabelSelector {
    /// Parse `?labelSelector=`; errors are 400 BadRequest as from the real server.
    pub fn parse(s: &str) -> ApiResult<Self> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Self::default());
        }
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let bad = || ApiError::bad_request(format!("unable to parse requirement: {part:?}"));
            let req = parse_requirement(part).ok_or_else(bad)?;
            let values_ok = match &req.op {
                Op::Eq(v) | Op::NotEq(v) => valid_value(v),
                Op::In(vs) | Op::NotIn(vs) => vs.iter().all(|v| valid_value(v)),
                _ => true,
            };
            if !valid_key(&req.key) || !values_ok {
                return Err(bad());
            }
            reqs.push(req);
        }
        Ok(Self { reqs })
    }

    /// From a structured `metav1.LabelSelector`. `None` (absent) matches everything, as an empty
    /// selector does for webhook namespace/object selectors.
    pub fn from_object(sel: Option<&Value>) -> ApiResult<Self> {
        let Some(sel) = sel.filter(|v| !v.is_null()) else {
            return Ok(Self::default());
        };
        let mut reqs = Vec::new();
        if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in m {
                reqs.push(Requirement {
                    key: k.clone(),
                    op: Op::Eq(v.as_str().unwrap_or("").to_string()),
                });
            }
        }
        for e in sel
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = util::str_at(e, "key").to_string();
            let values: Vec<String> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let op = match util::str_at(e, "operator") {
                "In" => Op::In(values),
                "NotIn" => Op::NotIn(values),
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::NotExists,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "{other:?} is not a valid label selector operator"
                    )));
                }
            };
            reqs.push(Requirement { key, op });
        }
        Ok(Self { reqs })
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }

    /// Whether a label map matches.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.reqs.iter().all(|r| match &r.op {
            Op::Exists => get(&r.key).is_some(),
            Op::NotExists => get(&r.key).is_none(),
            Op::Eq(v) => get(&r.key) == Some(v.as_str()),
            Op::NotEq(v) => get(&r.key) != Some(v.as_str()),
            Op::In(vs) => get(&r.key).is_some_and(|x| vs.iter().any(|v| v == x)),
            Op::NotIn(vs) => get(&r.key).is_none_or(|x| !vs.iter().any(|v| v == x)),
            Op::Gt(n) => get(&r.key)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            Op::Lt(n) => get(&r.key)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        })
    }

    /// Whether an object's `metadata.labels` match.
    pub fn matches_object(&self, obj: &Value) -> bool {
        self.matches(util::json_path(obj, "metadata.labels").and_then(Value::as_object))
    }
}

/// A parsed field selector: `path=value`, `path==value`, `path!=value`, comma-separated.
#[derive(Debug, Clone, Default)]
pub struct FieldSelector {
    reqs: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// Parse `?fieldSelector=`, accepting only `metadata.name`, `metadata.namespace` and the
    /// resource's own field labels (as the real server's per-kind field label conversion).
    pub fn parse(s: &str, allowed: &[&str]) -> ApiResult<Self> {
        let mut reqs = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (path, eq, value) = if let Some((p, v)) = part.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = part.split_once("==") {
                (p, true, v)
            } else if let Some((p, v)) = part.split_once('=') {
                (p, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let path = path.trim();
            if !(path == "metadata.name" || path == "metadata.namespace" || allowed.contains(&path))
            {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {path}"
                )));
            }
            reqs.push((path.to_string(), eq, value.trim().to_string()));
        }
        Ok(Self { reqs })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.reqs.iter().all(|(path, eq, want)| {
            let got = match util::json_path(obj, path) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            (got == *want) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_based_selectors_match_like_kubernetes() {
        let labels = json!({"app": "web", "tier": "front"});
        let l = labels.as_object();
        assert!(
            LabelSelector::parse("app in (web,api),tier!=back")
                .unwrap()
                .matches(l)
        );
        assert!(LabelSelector::parse("app,!missing").unwrap().matches(l));
        assert!(!LabelSelector::parse("app notin (web)").unwrap().matches(l));
        assert!(LabelSelector::parse("app in (web").is_err());
        assert!(LabelSelector::parse("a b=c").is_err());
    }

    #[test]
    fn field_selectors_reject_unknown_labels() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}});
        let allowed = ["spec.nodeName", "status.phase"];
        assert!(
            FieldSelector::parse("spec.nodeName=n1,status.phase!=Failed", &allowed)
                .unwrap()
                .matches(&pod)
        );
        assert!(
            !FieldSelector::parse("metadata.name=q", &allowed)
                .unwrap()
                .matches(&pod)
        );
        assert_eq!(
            FieldSelector::parse("spec.bogus=1", &allowed)
                .unwrap_err()
                .code,
            400
        );
    }
}
