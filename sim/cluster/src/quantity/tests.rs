//! The oracle's quantity rules against apimachinery's own examples
//! (`pkg/api/resource/quantity_test.go`: `TestQuantityParse`, `TestQuantityString`,
//! `TestQuantityParseEmit`, `TestParseQuantity`, `TestJSONWhitespace`, and the invalid inputs of
//! `TestQuantityParse`), plus the worked table of `../shared/reference/kubernetes-api-facts.md` §5.

use serde_json::json;

use super::*;

/// The string the API server stores for a quantity written as `v`.
fn api_server_form(v: &Value) -> Option<String> {
    from_json(v).map(|q| q.canonical())
}

/// (input, stored form) pairs.
const CANONICAL: &[(&str, &str)] = &[
    // TestQuantityParseEmit
    ("1Ki", "1Ki"),
    ("1Mi", "1Mi"),
    ("1Gi", "1Gi"),
    ("1024Mi", "1Gi"),
    ("1000M", "1G"),
    (".001Ki", "1024m"),
    (".000001Ki", "1024u"),
    (".000000001Ki", "1024n"),
    (".000000000001Ki", "2n"),
    // TestQuantityString: the alternate spelling parses to the expected form, and the
    // expected form is kept verbatim.
    ("1024Mi", "1Gi"),
    ("307200Ki", "300Mi"),
    ("6Ki", "6Ki"),
    ("1025024Mi", "1001Gi"),
    ("1024Gi", "1Ti"),
    ("5000m", "5"),
    ("0.5", "500m"),
    ("1000M", "1G"),
    ("0.001T", "1G"),
    ("1000u", "1m"),
    ("80m", "80m"),
    ("1.08", "1080m"),
    ("1080000000n", "1080m"),
    ("300M", "300M"),
    ("1T", "1T"),
    ("1234567M", "1234567M"),
    ("1234567m", "1234567m"),
    ("3k", "3k"),
    ("1025", "1025"),
    (".001e12", "1e9"),
    ("0.001e0", "1e-3"),
    ("1000e-12", "1e-9"),
    ("80e-3", "80e-3"),
    ("300e6", "300e6"),
    ("1e12", "1e12"),
    ("00", "0"),
    ("1n", "1n"),
    ("1080n", "1080n"),
    ("80u", "80u"),
    // TestParseQuantity (19 and 20 digits, beyond int64).
    ("999999999999999999", "999999999999999999"),
    ("-999999999999999999.0", "-999999999999999999"),
    ("999999999999999999.1", "999999999999999999100m"),
    ("9999999999999999999", "9999999999999999999"),
    ("1E", "1E"),
    ("-1E", "-1E"),
    ("1000000000000000000", "1E"),
    ("1.0E", "1E"),
    ("9999999999999999999000m", "9999999999999999999"),
    ("1.0000000000000000001E", "1000000000000000000100m"),
    ("-1000000000000000000.1", "-1000000000000000000100m"),
    ("1.000000000000000001E", "1000000000000000001"),
    ("10E", "10E"),
    ("10000000000000000000", "10E"),
    ("-10000000000000000000000m", "-10E"),
    ("10.0000000000000000001E", "10000000000000000000100m"),
    ("10.000000000000000001E", "10000000000000000001"),
    ("9223372036854775807", "9223372036854775807"),
    ("-9223372036854775808.0", "-9223372036854775808"),
    ("9223372036854775808000m", "9223372036854775808"),
    ("9223372036854775807.1", "9223372036854775807100m"),
    // Reference table (DESIGN facts §5) and the saturating/rounding rows of TestQuantityParse.
    ("128Mi", "128Mi"),
    ("0.5Gi", "512Mi"),
    ("1.5Gi", "1536Mi"),
    ("0.5Mi", "512Ki"),
    ("0.5Ki", "512"),
    ("1000000000", "1G"),
    ("1000", "1k"),
    ("100m", "100m"),
    ("0.1", "100m"),
    ("1.5", "1500m"),
    ("2000m", "2"),
    ("1e3", "1e3"),
    ("1E6", "1E6"),
    ("1.5e3", "1500"),
    ("0Mi", "0"),
    ("0m", "0"),
    ("1.5G", "1500M"),
    ("3.001n", "4n"),
    ("1.1E-9", "2e-9"),
    ("0.0000000001", "1n"),
    ("0.5e-9", "1e-9"),
    ("0.00000012345", "124n"),
    ("9Ei", "9223372036854775807"),
    ("9223372036854775807Ki", "9223372036854775807"),
    ("12E", "12E"),
    (".0001k", "100m"),
    // The fast path keeps a canonical-looking input as written, sign and point included.
    ("+1", "+1"),
    ("100.035k", "100.035k"),
    ("1.G", "1.G"),
    ("1.500", "1.500"),
    ("01", "01"),
    ("-1", "-1"),
    ("1000Mi", "1000Mi"),
    ("8Ki", "8Ki"),
    ("1.0", "1"),
    ("1Pi", "1Pi"),
    // Digit-less numbers are zero ("if we stripped all numerator positions, always return 0").
    ("Mi", "0"),
    ("+", "0"),
    (".", "0"),
    ("-Ki", "0"),
];

#[test]
fn stored_forms_match_apimachinery_examples() {
    for (input, want) in CANONICAL {
        let got = Quantity::parse(input).map(|q| q.canonical());
        assert_eq!(got.as_deref(), Some(*want), "{input}");
    }
}

#[test]
fn invalid_inputs_are_refused_as_by_parse_quantity() {
    for bad in [
        "", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1",
        "1 ", "1e", "1.5x",
    ] {
        assert!(Quantity::parse(bad).is_none(), "{bad:?}");
    }
}

#[test]
fn values_compare_numerically_and_round_up() {
    let q = |s| Quantity::parse(s).unwrap();
    assert_eq!(q("1k"), q("1000"));
    assert_eq!(q("0.5Gi"), q("512Mi"));
    assert!(q("1Gi") > q("1G"));
    assert_eq!(q("1Ki").value(), 1024);
    assert_eq!(q("0.1").milli_value(), 100);
    assert_eq!(q("1E3").milli_value(), 1_000_000);
    assert_eq!(q(".001Ki").value(), 2);
    assert_eq!(q("-9.01").value(), -10);
    assert_eq!(q("0.9n").nanos(), 1);
    assert_eq!(q("-Ki").nanos(), 0);
}

#[test]
fn json_strings_are_trimmed_and_numbers_accepted_as_unmarshal_json_does() {
    for (v, want) in [
        (json!(" 1"), "1"),
        (json!("1 "), "1"),
        (json!(1), "1"),
        (json!(10), "10"),
        (json!(-1), "-1"),
        (json!(" -1"), "-1"),
        (json!("1000m"), "1"),
    ] {
        assert_eq!(api_server_form(&v).as_deref(), Some(want), "{v}");
    }
    assert_eq!(api_server_form(&json!("1.5x")), None);
    assert_eq!(api_server_form(&json!(true)), None);
    assert_eq!(
        at(&json!({"r": {"m": "1Gi"}}), "/r/m").map(|q| q.value()),
        Some(1 << 30)
    );
    assert_eq!(format_bytes(1536 * 1024 * 1024), "1536Mi");
    assert_eq!(format_bytes(1_500_000), "1500000");
}
