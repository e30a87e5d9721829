//! Quantities in the simulated cluster: a thin adapter over the project's exact parser,
//! [`rightsize_policy::quantity::Quantity`] (apimachinery `pkg/api/resource/quantity.go`, nano-unit
//! `i128`, numeric comparison: `1000` = `1k`, `0.5Gi` = `512Mi`), so the sim and the controller
//! read every quantity the same way.
//!
//! The one place the policy parser is stricter than the API server: a number without any digit
//! (`"Mi"`, `"+"`, `"."`). apimachinery's `parseQuantityString` reads it as zero ("if we stripped
//! all numerator positions, always return 0"); the policy crate refuses it on purpose (for a
//! sizing tool it would silently mean "no memory"). The sim must accept what the server accepts,
//! so [`parse`] retries such input with a `0` in front of the suffix. The policy crate's other
//! deliberate differences (decimal values beyond ~1.7e29, exponents beyond `i32`) are kept: no
//! manifest the sim sees contains them.

use rightsize_policy::quantity::{Quantity, QuantityErrorKind};
use serde_json::Value;

/// Parse a quantity as the API server does (no trimming: `" 1"` is as invalid as there).
pub fn parse(s: &str) -> Option<Quantity> {
    match Quantity::parse(s) {
        Ok(q) => Some(q),
        Err(e) if e.kind == QuantityErrorKind::NoDigits => {
            let (sign, rest) = s.split_at(usize::from(s.starts_with(['+', '-'])));
            Quantity::parse(&format!("{sign}0{rest}")).ok()
        }
        Err(_) => None,
    }
}

/// A quantity held in JSON: a string, or a bare number (apimachinery's `UnmarshalJSON` takes both).
pub fn from_json(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) => parse(s),
        Value::Number(n) => parse(&n.to_string()),
        _ => None,
    }
}

/// The quantity at a JSON pointer (`/resources/limits/memory`), if present and valid.
pub fn at(v: &Value, pointer: &str) -> Option<Quantity> {
    v.pointer(pointer).and_then(from_json)
}

/// The string the API server stores for a quantity written as `v` (it decodes and re-encodes
/// every quantity: `1000m` → `1`, `0.5Gi` → `512Mi`, `Mi` → `0`, with apimachinery's fast path
/// keeping some inputs verbatim); `None` if `v` is not a valid quantity.
pub fn api_server_form(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Quantity::api_server_form(&s)
        .ok()
        .or_else(|| parse(&s).map(|q| q.to_string()))
}

/// Bytes printed as the API server prints a memory quantity (`1536Mi`, `1500k`).
pub fn format_bytes(bytes: i128) -> String {
    Quantity::from_bytes(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_what_the_api_server_parses() {
        let bytes = |s| parse(s).map(|q| q.value());
        assert_eq!(bytes("0.5Gi"), bytes("512Mi"));
        assert_eq!(bytes("1000"), bytes("1k"));
        assert_eq!(parse("0.1").map(|q| q.milli_value()), Some(100));
        assert_eq!(parse("1E3").map(|q| q.milli_value()), Some(1_000_000));
        assert_eq!(bytes(".001Ki"), Some(2));
        // Digit-less numbers are zero, as in apimachinery; a bad suffix is still refused.
        for zero in ["Mi", "+", ".", "-Ki", ".m"] {
            assert_eq!(parse(zero).map(|q| q.nanos()), Some(0), "{zero}");
        }
        for bad in ["1.5x", "", " 1", "1..5", "+xyz"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        assert_eq!(from_json(&json!(2)).map(|q| q.milli_value()), Some(2000));
        assert_eq!(
            at(&json!({"r": {"m": "1Gi"}}), "/r/m").map(|q| q.value()),
            Some(1 << 30)
        );
        assert_eq!(format_bytes(1536 * 1024 * 1024), "1536Mi");
        let stored = |v: Value| api_server_form(&v);
        assert_eq!(stored(json!("1000m")).as_deref(), Some("1"));
        assert_eq!(stored(json!("0.5Gi")).as_deref(), Some("512Mi"));
        assert_eq!(stored(json!("128Mi")).as_deref(), Some("128Mi"));
        assert_eq!(stored(json!("Mi")).as_deref(), Some("0"));
        assert_eq!(stored(json!(2)).as_deref(), Some("2"));
        assert_eq!(stored(json!("1.5x")), None);
    }
}
