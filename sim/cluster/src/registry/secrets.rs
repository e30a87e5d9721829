//! core/v1 Secrets: what the API server does to a Secret body on every write, written from the
//! Kubernetes sources rather than from the code under test.
//!
//! - Decoding (k8s.io/api `core/v1` `Secret.Data` is `map[string][]byte`): JSON carries each value
//!   as standard base64; a value that is not base64 fails the decode with 400 BadRequest, before
//!   any validation (`Secret in version "v1" cannot be handled as a Secret: illegal base64 …`).
//! - Conversion (`pkg/apis/core/v1/conversion.go`, `Convert_v1_Secret_To_core_Secret`):
//!   `stringData` is merged into `data` on write, overwriting keys present in both, and is never
//!   stored or served.
//! - Defaulting (`pkg/apis/core/v1/defaults.go`, `SetDefaults_Secret`): an empty `type` is
//!   `Opaque`.
//! - Validation (`pkg/apis/core/validation/validation.go`, `ValidateSecret`,
//!   `ValidateSecretUpdate`): keys as ConfigMap keys (`IsConfigMapKey`, `[-._a-zA-Z0-9]+`), total
//!   decoded size at most `core.MaxSecretSize` (1 MiB), per-type required keys
//!   (`kubernetes.io/tls` needs `tls.crt` and `tls.key`, …), `type` immutable, and nothing but
//!   metadata may change once `immutable: true`.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult, FieldError};
use crate::registry::validate;

/// `core.MaxSecretSize` (`pkg/apis/core/types.go`): 1 MiB of decoded data.
pub const MAX_SECRET_BYTES: usize = 1024 * 1024;
/// `core.SecretTypeOpaque`, the default type.
pub const TYPE_OPAQUE: &str = "Opaque";
/// `core.SecretTypeTLS` and its required keys `core.TLSCertKey`, `core.TLSPrivateKeyKey`.
pub const TYPE_TLS: &str = "kubernetes.io/tls";
const TLS_KEYS: [&str; 2] = ["tls.crt", "tls.key"];
/// `core.SecretTypeBasicAuth`: `username` or `password` must be present.
const TYPE_BASIC_AUTH: &str = "kubernetes.io/basic-auth";
/// `core.SecretTypeSSHAuth`: `ssh-privatekey` must be present and non-empty.
const TYPE_SSH_AUTH: &str = "kubernetes.io/ssh-auth";
/// `core.SecretTypeServiceAccountToken`: needs the `kubernetes.io/service-account.name`
/// annotation.
const TYPE_SA_TOKEN: &str = "kubernetes.io/service-account-token";
const SA_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
/// `core.SecretTypeDockercfg` / `core.SecretTypeDockerConfigJson`: the key must hold JSON.
const DOCKER_TYPES: [(&str, &str); 2] = [
    ("kubernetes.io/dockercfg", ".dockercfg"),
    ("kubernetes.io/dockerconfigjson", ".dockerconfigjson"),
];
/// `ValidateImmutableField`'s detail.
const IMMUTABLE: &str = "field is immutable";
/// `ValidateSecretUpdate`'s detail once `immutable` is set.
const IMMUTABLE_SET: &str = "field is immutable when `immutable` is set";

/// Go's `base64.StdEncoding` as `encoding/json` uses it for `[]byte`: padded, and lenient about
/// non-zero trailing bits (Go only rejects those with `.Strict()`).
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Decode one `data` value as the API server's JSON decoder does (it drops `\r` and `\n`).
fn decode_value(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if s.contains(['\r', '\n']) {
        GO_STD.decode(s.replace(['\r', '\n'], ""))
    } else {
        GO_STD.decode(s)
    }
}

fn undecodable(detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!(
        "Secret in version \"v1\" cannot be handled as a Secret: {detail}"
    ))
}

/// Decode, convert and default a written Secret: base64 check of `data`, `stringData` merged
/// into `data`, empty `type` set to `Opaque`.
pub fn intake(obj: &mut Value) -> ApiResult<()> {
    let Some(m) = obj.as_object_mut() else {
        return Ok(());
    };
    let mut data = match m.remove("data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(d)) => d,
        Some(_) => return Err(undecodable("data: expected a map of base64 strings")),
    };
    for (k, v) in &data {
        let s = v
            .as_str()
            .ok_or_else(|| undecodable(format!("data[{k}]: expected a base64 string")))?;
        if let Err(e) = decode_value(s) {
            return Err(undecodable(format!(
                "illegal base64 data in data[{k}]: {e}"
            )));
        }
    }
    match m.remove("stringData") {
        None | Some(Value::Null) => {}
        Some(Value::Object(sd)) => {
            for (k, v) in sd {
                let s = v
                    .as_str()
                    .ok_or_else(|| undecodable(format!("stringData[{k}]: expected a string")))?;
                data.insert(k, Value::String(GO_STD.encode(s)));
            }
        }
        Some(_) => return Err(undecodable("stringData: expected a map of strings")),
    }
    if !data.is_empty() {
        m.insert("data".into(), Value::Object(data));
    }
    if m.get("type")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        m.insert("type".into(), Value::String(TYPE_OPAQUE.into()));
    }
    Ok(())
}

fn data_of(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("data").and_then(Value::as_object)
}

fn decoded_len(v: &Value) -> usize {
    v.as_str()
        .and_then(|s| decode_value(s).ok())
        .map_or(0, |b| b.len())
}

/// `ValidateSecret` (after [`intake`]): keys, size, and the keys each well-known type requires.
pub fn validate(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let data = data_of(obj);
    let mut total = 0usize;
    for (k, v) in data.into_iter().flatten() {
        for msg in validate::config_key_errors(k) {
            errs.push(FieldError::invalid(format!("data[{k}]"), k.as_str(), msg));
        }
        total += decoded_len(v);
    }
    if total > MAX_SECRET_BYTES {
        // `field.TooLong(dataPath, "", core.MaxSecretSize)`.
        errs.push(FieldError::too_long(
            "data",
            format!("must have at most {MAX_SECRET_BYTES} bytes"),
        ));
    }
    let has = |k: &str| data.is_some_and(|d| d.contains_key(k));
    let ty = obj.get("type").and_then(Value::as_str).unwrap_or_default();
    match ty {
        TYPE_TLS => {
            for key in TLS_KEYS.into_iter().filter(|k| !has(k)) {
                errs.push(FieldError::required(format!("data[{key}]"), ""));
            }
        }
        TYPE_BASIC_AUTH if !has("username") && !has("password") => {
            errs.push(FieldError::required("data[username]", ""));
            errs.push(FieldError::required("data[password]", ""));
        }
        TYPE_SSH_AUTH
            if data
                .and_then(|d| d.get("ssh-privatekey"))
                .is_none_or(|v| decoded_len(v) == 0) =>
        {
            errs.push(FieldError::required("data[ssh-privatekey]", ""));
        }
        TYPE_SA_TOKEN => {
            let named = obj
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(SA_NAME_ANNOTATION))
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            if !named {
                errs.push(FieldError::required(
                    format!("metadata.annotations[{SA_NAME_ANNOTATION}]"),
                    "",
                ));
            }
        }
        _ => {
            if let Some((_, key)) = DOCKER_TYPES.iter().find(|(t, _)| *t == ty) {
                errs.extend(docker_config_errors(data, key));
            }
        }
    }
    errs
}

/// The dockercfg types require their key, holding a JSON object.
fn docker_config_errors(data: Option<&Map<String, Value>>, key: &str) -> Vec<FieldError> {
    let field = format!("data[{key}]");
    let Some(v) = data.and_then(|d| d.get(key)) else {
        return vec![FieldError::required(field, "")];
    };
    let bytes = v
        .as_str()
        .and_then(|s| decode_value(s).ok())
        .unwrap_or_default();
    match serde_json::from_slice::<Map<String, Value>>(&bytes) {
        Ok(_) => Vec::new(),
        Err(e) => vec![FieldError::invalid(
            field,
            "<secret contents redacted>",
            e.to_string(),
        )],
    }
}

/// `ValidateSecretUpdate`: `type` never changes; with `immutable: true` neither `data` nor the
/// flag itself may change.
pub fn validate_update(old: &Value, new: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let old_type = old.get("type").and_then(Value::as_str).unwrap_or_default();
    let new_type = new.get("type").and_then(Value::as_str).unwrap_or_default();
    if old_type != new_type {
        errs.push(FieldError::invalid("type", new_type, IMMUTABLE));
    }
    if old.get("immutable").and_then(Value::as_bool) == Some(true) {
        if new.get("immutable").and_then(Value::as_bool) != Some(true) {
            errs.push(FieldError::forbidden("immutable", IMMUTABLE_SET));
        }
        if data_of(old) != data_of(new) {
            errs.push(FieldError::forbidden("data", IMMUTABLE_SET));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn taken(mut v: Value) -> ApiResult<Value> {
        intake(&mut v).map(|_| v)
    }

    #[test]
    fn string_data_is_merged_over_data_and_never_stored() {
        let v =
            taken(json!({"data": {"a": "eA==", "b": "eQ=="}, "stringData": {"b": "z", "c": "w"}}))
                .unwrap();
        assert_eq!(v["data"], json!({"a": "eA==", "b": "eg==", "c": "dw=="}));
        assert!(v.get("stringData").is_none());
        assert_eq!(v["type"], TYPE_OPAQUE);
    }

    #[test]
    fn data_that_is_not_base64_is_a_bad_request() {
        let e = taken(json!({"data": {"a": "not base64!"}})).unwrap_err();
        assert_eq!((e.code, e.reason), (400, "BadRequest"));
        assert!(e.message.contains("illegal base64"), "{}", e.message);
        // Unpadded is refused by Go's StdEncoding too; line breaks are dropped.
        assert!(taken(json!({"data": {"a": "eA"}})).is_err());
        assert!(taken(json!({"data": {"a": "aGVs\nbG8="}})).is_ok());
    }

    #[test]
    fn tls_secret_requires_both_keys() {
        let v = taken(json!({"type": TYPE_TLS, "data": {"tls.crt": "eA=="}})).unwrap();
        let errs = validate(&v);
        assert_eq!(errs, vec![FieldError::required("data[tls.key]", "")]);
        let v = taken(json!({"type": TYPE_TLS, "stringData": {"tls.crt": "c", "tls.key": "k"}}))
            .unwrap();
        assert!(validate(&v).is_empty());
    }

    #[test]
    fn keys_and_total_size_are_checked() {
        let v = taken(json!({"data": {"bad/key": "eA=="}})).unwrap();
        assert_eq!(validate(&v)[0].field, "data[bad/key]");
        // 1 MiB of decoded bytes is allowed, one more is not.
        let exact = GO_STD.encode(vec![0u8; MAX_SECRET_BYTES]);
        assert!(validate(&json!({"data": {"a": exact}})).is_empty());
        let over = GO_STD.encode(vec![0u8; MAX_SECRET_BYTES + 1]);
        let errs = validate(&json!({"data": {"a": over}}));
        assert_eq!(errs[0].kind, crate::error::FieldErrorKind::TooLong);
    }

    #[test]
    fn type_is_immutable_and_immutable_freezes_data() {
        let old = json!({"type": "Opaque", "data": {"a": "eA=="}});
        let new = json!({"type": TYPE_TLS, "data": {"a": "eA=="}});
        assert_eq!(validate_update(&old, &new)[0].field, "type");
        let frozen = json!({"type": "Opaque", "immutable": true, "data": {"a": "eA=="}});
        let changed = json!({"type": "Opaque", "immutable": true, "data": {"a": "eQ=="}});
        assert_eq!(validate_update(&frozen, &changed)[0].field, "data");
        assert!(validate_update(&frozen, &frozen).is_empty());
    }

    #[test]
    fn well_known_types_require_their_keys() {
        assert_eq!(
            validate(&json!({"type": TYPE_BASIC_AUTH})).len(),
            2,
            "username and password both reported"
        );
        assert!(!validate(&json!({"type": TYPE_SA_TOKEN})).is_empty());
        let bad = json!({"type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": GO_STD.encode("nope")}});
        assert!(!validate(&bad).is_empty());
    }
}
