//! The canonical text form: what `Display` prints for parsed and constructed quantities, checked
//! against the Kubernetes docs and apimachinery's `TestQuantityString` / `TestQuantityParseEmit`.

use super::*;

#[test]
fn kubernetes_doc_examples_format_canonically() {
    // The facts file's table (quantity.go String/CanonicalizeBytes, quantity_test.go).
    let table = [
        ("128Mi", "128Mi"),
        ("1024Mi", "1Gi"),
        ("0.5Gi", "512Mi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Mi", "512Ki"),
        ("0.5Ki", "512"),
        ("1G", "1G"),
        ("1000M", "1G"),
        ("1000000000", "1G"),
        ("1000", "1k"),
        ("100m", "100m"),
        ("0.1", "100m"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("2000m", "2"),
        ("1080m", "1080m"),
        ("1e3", "1e3"),
        ("1E6", "1e6"),
        ("1.5e3", "1500"),
        (".001Ki", "1024m"),
        (".000001Ki", "1024u"),
        (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"),
        ("0", "0"),
        ("0Mi", "0"),
        ("0m", "0"),
        ("1.5G", "1500M"),
        ("1Ki", "1Ki"),
        ("300Mi", "300Mi"),
        ("1001Gi", "1001Gi"),
        ("1025Mi", "1025Mi"),
        ("1.08", "1080m"),
        ("1080000000n", "1080m"),
        ("1E", "1E"),
        ("1000E", "1e21"),
        ("5000E", "5e21"),
        ("0.001T", "1G"),
        ("1000u", "1m"),
        ("0.001e0", "1e-3"),
        ("1000e-12", "1e-9"),
        (".001e12", "1e9"),
        ("00", "0"),
        ("100.035Ki", "102435840m"),
    ];
    for (input, expected) in table {
        assert_eq!(q(input).to_string(), expected, "{input}");
        // Canonical output is a fixed point and keeps the value.
        assert_eq!(q(expected), q(input), "{input} vs {expected}");
        assert_eq!(
            q(expected).to_string(),
            expected,
            "{expected} not a fixed point"
        );
    }
}

#[test]
fn negative_values_print_with_a_leading_minus_only() {
    for (input, expected) in [
        ("-1.5Gi", "-1536Mi"),
        ("-1000", "-1k"),
        ("-100m", "-100m"),
        ("-0.5Ki", "-512"),
        ("-1e3", "-1e3"),
        ("-.001Ki", "-1024m"),
        ("-0", "0"),
    ] {
        assert_eq!(q(input).to_string(), expected, "{input}");
    }
    assert_eq!(q("-1.025Ti").nanos(), -11_269_994_184_704 * N / 10);
}

#[test]
fn memory_bytes_print_binary_when_divisible_by_1024_else_decimal() {
    assert_eq!(Quantity::from_bytes(512 * MIB).to_string(), "512Mi");
    assert_eq!(Quantity::from_bytes(1536 * MIB).to_string(), "1536Mi");
    assert_eq!(Quantity::from_bytes(3 * GIB).to_string(), "3Gi");
    assert_eq!(Quantity::from_bytes(1024).to_string(), "1Ki");
    assert_eq!(Quantity::from_bytes(1000).to_string(), "1k");
    assert_eq!(Quantity::from_bytes(1025).to_string(), "1025");
    assert_eq!(Quantity::from_bytes(1_500_000).to_string(), "1500k");
    assert_eq!(Quantity::from_bytes(123_456_789).to_string(), "123456789");
    assert_eq!(Quantity::from_bytes(0).to_string(), "0");
    assert_eq!(Quantity::from_bytes(-2048).to_string(), "-2Ki");
}

#[test]
fn cpu_millis_print_in_milli_or_whole_cores() {
    assert_eq!(Quantity::from_millis(250).to_string(), "250m");
    assert_eq!(Quantity::from_millis(2000).to_string(), "2");
    assert_eq!(Quantity::from_millis(1500).to_string(), "1500m");
    assert_eq!(Quantity::from_millis(2_000_000).to_string(), "2k");
}

#[test]
fn display_of_constructed_values_matches_apimachinery_string_tests() {
    use Format::*;
    // (value, format, expected) from TestQuantityString.
    let table: &[(i128, Format, &str)] = &[
        (GIB * N, BinarySI, "1Gi"),
        (300 * MIB * N, BinarySI, "300Mi"),
        (6 * KIB * N, BinarySI, "6Ki"),
        (5 * N, BinarySI, "5"),
        (N / 2, BinarySI, "500m"),
        (10i128.pow(9) * N, DecimalSI, "1G"),
        (1_000_000, DecimalSI, "1m"),
        (80_000_000, DecimalSI, "80m"),
        (1_080_000_000, DecimalSI, "1080m"),
        (300 * 10i128.pow(6) * N, DecimalSI, "300M"),
        (10i128.pow(18) * N, DecimalSI, "1E"),
        (10i128.pow(24) * N, DecimalSI, "1e24"),
        (1_234_567 * 10i128.pow(6) * N, DecimalSI, "1234567M"),
        (1_234_567 * 1_000_000, BinarySI, "1234567m"),
        (1025 * N, BinarySI, "1025"),
        (0, BinarySI, "0"),
        (0, DecimalExponent, "0"),
        (10i128.pow(9) * N, DecimalExponent, "1e9"),
        (1_000_000, DecimalExponent, "1e-3"),
        (1, DecimalExponent, "1e-9"),
        (80_000_000, DecimalExponent, "80e-3"),
        (300 * 10i128.pow(6) * N, DecimalExponent, "300e6"),
        (3_000 * N, DecimalExponent, "3e3"),
        (1, DecimalSI, "1n"),
        (1_080, DecimalSI, "1080n"),
        (1_000, DecimalSI, "1u"),
        (1_080_000, DecimalSI, "1080u"),
    ];
    for &(nanos, format, expected) in table {
        assert_eq!(Quantity::from_nanos(nanos, format).to_string(), expected);
        if nanos != 0 {
            let neg = Quantity::from_nanos(-nanos, format).to_string();
            assert_eq!(neg, format!("-{expected}"));
        }
    }
}
