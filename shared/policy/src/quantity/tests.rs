//! Quantity tests. Expected values come from the Kubernetes docs and apimachinery's own tests
//! (`quantity_test.go`: `TestQuantityParse`, `TestQuantityString`, `TestQuantityParseEmit`), as
//! listed in `../shared/reference/kubernetes-api-facts.md` §5.
use super::*;
use std::collections::HashSet;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn kind(s: &str) -> QuantityErrorKind {
    Quantity::parse(s).expect_err(s).kind
}

const N: i128 = NANOS_PER_UNIT;

#[test]
fn equal_values_in_different_spellings_compare_equal() {
    assert_eq!(q("1000"), q("1k"));
    assert_eq!(q("1e3"), q("1k"));
    assert_eq!(q("0.5Gi"), q("512Mi"));
    assert_eq!(q("1.5Gi"), q("1536Mi"));
    assert_eq!(q("1.5"), q("1500m"));
    assert_eq!(q("0.1"), q("100m"));
    assert_eq!(q("1Gi"), q("1024Mi"));
    assert_eq!(q("1G"), q("1000M"));
    assert_eq!(q("+1"), q("1"));
    assert_eq!(q("0"), q("0Mi"));
    assert_eq!(q("0m"), q("-0"));
    assert_ne!(q("1Ki"), q("1k"));
    assert!(q("1Ki") > q("1k"));
    assert!(q("100m") < q("1"));
    assert!(q("-1") < q("0"));
    assert!(q("10000T") > q("100Gi"));
}

#[test]
fn hashing_is_numeric_so_sets_deduplicate_spellings() {
    let set: HashSet<Quantity> = ["1000", "1k", "1e3", "1000000m"]
        .iter()
        .map(|s| q(s))
        .collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn parse_table_from_apimachinery_tests() {
    use Format::*;
    // (input, nano-units, format) from TestQuantityParse.
    let table: &[(&str, i128, Format)] = &[
        ("0", 0, DecimalSI),
        ("0n", 0, DecimalSI),
        ("0Ki", 0, BinarySI),
        ("0Ti", 0, BinarySI),
        ("1", N, DecimalSI),
        ("1Ki", 1024 * N, BinarySI),
        ("7Mi", 7 * MIB * N, BinarySI),
        ("6Gi", 6 * GIB * N, BinarySI),
        ("5Ti", 5 * (1 << 40) * N, BinarySI),
        ("4Pi", 4 * (1 << 50) * N, BinarySI),
        ("3Ei", 3 * (1 << 60) * N, BinarySI),
        ("5n", 5, DecimalSI),
        ("4u", 4_000, DecimalSI),
        ("3m", 3_000_000, DecimalSI),
        ("8k", 8_000 * N, DecimalSI),
        ("50k", 50_000 * N, DecimalSI),
        ("2P", 2 * 10i128.pow(15) * N, DecimalSI),
        ("1E", 10i128.pow(18) * N, DecimalSI),
        ("12E", 12 * 10i128.pow(18) * N, DecimalSI),
        ("1E-3", 1_000_000, DecimalExponent),
        ("1e3", 1_000 * N, DecimalExponent),
        ("1E18", 10i128.pow(18) * N, DecimalExponent),
        ("1e13", 10i128.pow(13) * N, DecimalExponent),
        ("1.3E+6", 1_300_000 * N, DecimalExponent),
        ("0.5e-2", 5_000_000, DecimalExponent),
        ("100.035k", 100_035 * N, DecimalSI),
        ("0.0005k", N / 2, DecimalSI),
        ("0.00500", 5_000_000, DecimalSI),
        ("10.035M", 10_035_000 * N, DecimalSI),
        ("6.987654321G", 6_987_654_321 * N, DecimalSI),
        ("1.01E", 101 * 10i128.pow(16) * N, DecimalSI),
        // Rounded up to a whole nano-unit, away from zero.
        ("3.001n", 4, DecimalSI),
        ("1.1E-9", 2, DecimalExponent),
        ("0.0000000001", 1, DecimalSI),
        ("0.5e-9", 1, DecimalExponent),
        ("0.9n", 1, DecimalSI),
        ("0.00000012345", 124, DecimalSI),
        // Binary fractions; below one unit the format becomes DecimalSI.
        ("100.035Ki", 10_243_584 * N / 100, BinarySI),
        ("0.5Mi", 512 * KIB * N, BinarySI),
        ("0.05Gi", 536_870_912 * N / 10, BinarySI),
        ("0.025Ti", 274_877_906_944 * N / 10, BinarySI),
        ("0.000000000001Ki", 2, DecimalSI),
        // Forms "written by trolls" that apimachinery accepts.
        (".001", 1_000_000, DecimalSI),
        (".0001k", N / 10, DecimalSI),
        ("1.", N, DecimalSI),
        ("1.G", 10i128.pow(9) * N, DecimalSI),
    ];
    for &(input, nanos, format) in table {
        let got = q(input);
        assert_eq!(got.nanos(), nanos, "{input}");
        assert_eq!(got.format(), format, "{input}");
        let negative = q(&format!("-{input}"));
        assert_eq!(negative.nanos(), -nanos, "-{input}");
        assert_eq!(q(&format!("+{input}")).nanos(), nanos, "+{input}");
    }
}

#[test]
fn binary_values_saturate_at_int64_max_like_apimachinery() {
    let max = i128::from(i64::MAX) * N;
    assert_eq!(q("9Ei").nanos(), max);
    assert_eq!(q("9223372036854775807Ki").nanos(), max);
    assert_eq!(
        q("99999999999999999999999999999999999999999Ei").nanos(),
        max
    );
    assert_eq!(q("-9Ei").nanos(), -max);
    assert_eq!(q("7Ei").to_string(), "7Ei");
}

#[test]
fn large_and_tiny_decimals_are_exact_or_rejected() {
    assert_eq!(q("1e21").nanos(), 10i128.pow(30));
    assert_eq!(q("1e21").to_string(), "1e21");
    assert_eq!(
        q("18446744073709551616").value(),
        18_446_744_073_709_551_616
    );
    assert_eq!(
        q("1e-1000").nanos(),
        1,
        "any positive amount rounds up to 1n"
    );
    assert_eq!(q("-1e-1000").nanos(), -1);
    assert_eq!(q("0e99999").nanos(), 0);
    assert_eq!(
        q("0.1000000000000000000000000000000000000000000000000000000000000000000001").nanos(),
        100_000_001
    );
    assert_eq!(kind("1e40"), QuantityErrorKind::OutOfRange);
    assert_eq!(kind("1e2147483648"), QuantityErrorKind::ExponentOutOfRange);
    assert_eq!(
        kind("1e99999999999999999999"),
        QuantityErrorKind::ExponentOutOfRange
    );
}

#[test]
fn invalid_strings_are_rejected_with_the_reason() {
    use QuantityErrorKind::*;
    let cases = [
        ("", Empty),
        ("Mi", NoDigits),
        (".", NoDigits),
        ("+", NoDigits),
        ("-", NoDigits),
        ("-.", NoDigits),
        ("--1", NoDigits),
        ("aoeu", NoDigits),
        (" 1", NoDigits),
        ("1.2.3", ExtraDecimalPoint),
        ("1.1.M", ExtraDecimalPoint),
        ("1 Gi", UnknownSuffix(" Gi".into())),
        ("1 ", UnknownSuffix(" ".into())),
        ("12Qi", UnknownSuffix("Qi".into())),
        ("1+1.0M", UnknownSuffix("+1.0M".into())),
        ("0.1mi", UnknownSuffix("mi".into())),
        ("0.1am", UnknownSuffix("am".into())),
        (".5i", UnknownSuffix("i".into())),
        ("1i", UnknownSuffix("i".into())),
        ("-3.01i", UnknownSuffix("i".into())),
        ("-3.01e-", UnknownSuffix("e-".into())),
        ("1e", UnknownSuffix("e".into())),
        ("1e+", UnknownSuffix("e+".into())),
        ("1K", UnknownSuffix("K".into())),
        ("1KiB", UnknownSuffix("KiB".into())),
        ("1gi", UnknownSuffix("gi".into())),
        ("1e1.5", UnknownSuffix("e1.5".into())),
    ];
    for (input, expected) in cases {
        assert_eq!(kind(input), expected, "{input:?}");
    }
}

#[test]
fn error_message_names_the_input_and_the_problem() {
    let err = Quantity::parse("12Qi").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid quantity "12Qi": unknown suffix "Qi""#
    );
    assert_eq!(err.input, "12Qi");
    assert_eq!(
        Quantity::parse("").unwrap_err().to_string(),
        r#"invalid quantity "": empty string"#
    );
    assert_eq!(
        Quantity::parse("1.2.3").unwrap_err().to_string(),
        r#"invalid quantity "1.2.3": more than one decimal point"#
    );
}

#[test]
fn conversions_to_bytes_cores_and_millicores() {
    assert_eq!(q("512Mi").as_f64(), 536_870_912.0);
    assert_eq!(q("100m").as_f64(), 0.1);
    assert_eq!(q("1.5").milli_value(), 1500);
    assert_eq!(q("100m").milli_value(), 100);
    assert_eq!(
        q("9559630n").milli_value(),
        10,
        "metrics-server cpu rounds up to 10m"
    );
    assert_eq!(q("22244Ki").value(), 22_777_856);
    assert_eq!(q("0.5").value(), 1);
    assert_eq!(q("-0.5").value(), -1);
    assert_eq!(q("1.5").value(), 2);
    assert_eq!(q("1Ei").as_f64(), (1u64 << 60) as f64);
}

#[test]
fn policy_floats_round_up_never_down() {
    let mib = MIB as f64;
    assert_eq!(
        Quantity::memory_from_f64(300.2 * mib, MIB as u64)
            .unwrap()
            .to_string(),
        "301Mi"
    );
    assert_eq!(
        Quantity::memory_from_f64(300.0 * mib, MIB as u64)
            .unwrap()
            .to_string(),
        "300Mi"
    );
    assert_eq!(
        Quantity::memory_from_f64(1000.4, 1).unwrap().to_string(),
        "1001"
    );
    assert_eq!(Quantity::memory_from_f64(0.0, 0).unwrap(), Quantity::ZERO);
    assert_eq!(Quantity::cpu_from_f64(0.2501).unwrap().to_string(), "251m");
    assert_eq!(
        Quantity::memory_from_f64(f64::NAN, 1).unwrap_err().kind,
        QuantityErrorKind::NotFinite
    );
    assert_eq!(
        Quantity::memory_from_f64(-1.0, 1).unwrap_err().kind,
        QuantityErrorKind::Negative
    );
    assert_eq!(
        Quantity::memory_from_f64(1e40, 1).unwrap_err().kind,
        QuantityErrorKind::OutOfRange
    );
    assert_eq!(
        Quantity::cpu_from_f64(f64::INFINITY)
            .unwrap_err()
            .to_string(),
        r#"invalid quantity "inf": not a finite number"#
    );
}

#[test]
fn k8s_openapi_and_serde_round_trips_use_the_canonical_string() {
    let k = K8sQuantity("1.5Gi".into());
    let parsed = Quantity::try_from(&k).unwrap();
    assert_eq!(parsed.to_k8s(), K8sQuantity("1536Mi".into()));
    assert_eq!(K8sQuantity::from(parsed).0, "1536Mi");
    assert!(Quantity::try_from(&K8sQuantity("abc".into())).is_err());

    assert_eq!(serde_json::to_string(&q("0.5Gi")).unwrap(), r#""512Mi""#);
    let back: Quantity = serde_json::from_str(r#""512Mi""#).unwrap();
    assert_eq!(back, q("0.5Gi"));
    let bare: Quantity = serde_json::from_str("1000").unwrap();
    assert_eq!(bare, q("1k"));
    let float: Quantity = serde_json::from_str("0.25").unwrap();
    assert_eq!(float, q("250m"));
    let err = serde_json::from_str::<Quantity>(r#""12Qi""#).unwrap_err();
    assert!(
        err.to_string().contains(r#"invalid quantity "12Qi""#),
        "{err}"
    );
}

mod canonical_form;
