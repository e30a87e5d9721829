//! Finds `request.uid` in a body that is not a usable AdmissionReview (invalid further on,
//! truncated at the size limit, of the wrong shape), so the webhook can still answer that review
//! `allowed: true` with a warning instead of an HTTP error (DESIGN §3: never deny, and a denial
//! or error is not what `failurePolicy` is for).
//!
//! The probe walks the JSON with serde and records the uid the moment it reads it; whatever
//! fails after that point (a syntax error, the end of a truncated body) no longer matters.
//! serde_json's recursion limit bounds the walk on hostile nesting.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

/// The non-empty `request.uid` string of `body`, if it can be read before anything breaks.
pub fn probe_uid(body: &[u8]) -> Option<String> {
    let mut uid = None;
    let mut de = serde_json::Deserializer::from_slice(body);
    let _ = Review(&mut uid).deserialize(&mut de);
    uid.filter(|u| !u.is_empty())
}

/// The top-level object: looks for `request`.
struct Review<'a>(&'a mut Option<String>);

/// The `request` object: looks for `uid`.
struct Request<'a>(&'a mut Option<String>);

impl<'de> DeserializeSeed<'de> for Review<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Review<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AdmissionReview object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "request" {
                map.next_value_seed(Request(&mut *self.0))?;
                if self.0.is_some() {
                    return Ok(());
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Request<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Request<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AdmissionRequest object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "uid" {
                *self.0 = Some(map.next_value::<String>()?);
                return Ok(());
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_is_found_before_a_syntax_error_further_on() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1","request":{"kind":{"kind":"Pod"},"uid":"abc-1","object":{"x": tru"#;
        assert_eq!(probe_uid(body).as_deref(), Some("abc-1"));
    }

    #[test]
    fn uid_of_the_user_or_object_is_not_taken_for_the_request_uid() {
        let body = br#"{"object":{"uid":"wrong"},"request":{"userInfo":{"uid":"user"},"object":{"metadata":{"uid":"obj"}}}}"#;
        assert_eq!(probe_uid(body), None);
    }

    #[test]
    fn no_uid_in_garbage_empty_or_non_string_uids() {
        for body in [
            &b"\xff\xfe"[..],
            b"[]",
            b"{\"request\":{\"uid\":\"\"}}",
            b"{\"request\":{\"uid\":7}}",
            b"{\"request\":null}",
        ] {
            assert_eq!(probe_uid(body), None, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn deep_nesting_ends_in_an_error_not_a_stack_overflow() {
        let mut body = b"{\"a\":".to_vec();
        body.extend(std::iter::repeat_n(b'[', 100_000));
        assert_eq!(probe_uid(&body), None);
    }
}
