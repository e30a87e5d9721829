use super::*;

fn parse(text: &str) -> Result<Replica, TraceError> {
    parse_replica(Path::new("w/r.csv"), "r.csv", text.as_bytes())
}

fn message(text: &str) -> String {
    parse(text).expect_err("must fail").to_string()
}

#[test]
fn parses_rows_skipping_blank_lines_and_unknown_provisioned() {
    let r = parse(&format!(
        "{HEADER}\n0,10,12,\n\n60,20,25,0\n120,30,30,512\n"
    ))
    .unwrap();
    assert_eq!(r.t, vec![0, 60, 120]);
    assert_eq!(r.usage, vec![10.0, 20.0, 30.0]);
    assert_eq!(r.peak, vec![12.0, 25.0, 30.0]);
    assert_eq!(r.provisioned, vec![0.0, 0.0, 512.0]);
    assert_eq!(r.duration, vec![60.0, 60.0, 60.0]);
    assert_eq!(r.declared(7.0), 512.0);
}

#[test]
fn declared_falls_back_to_default_without_known_size() {
    let r = parse(&format!("{HEADER}\n0,10,12,0\n")).unwrap();
    assert_eq!(r.declared(268435456.0), 268435456.0);
}

#[test]
fn large_values_round_to_nearest_double() {
    let r = parse(&format!(
        "{HEADER}\n0,9007199254740993,9223372036854775807,\n"
    ))
    .unwrap();
    assert_eq!(r.usage[0], 9007199254740992.0);
    assert_eq!(r.peak[0], 9223372036854775807.0);
}

#[test]
fn values_beyond_the_integer_range_name_file_line_and_column() {
    let m = message(&format!(
        "{HEADER}\n0,1,1,1\n60,1,123456789012345678901234,\n"
    ));
    assert_eq!(
        m,
        "w/r.csv:3: peak_bytes `123456789012345678901234` is beyond the largest accepted value 9223372036854775807"
    );
    let m = message(&format!("{HEADER}\n99999999999999999999,1,1,1\n"));
    assert!(
        m.starts_with("w/r.csv:2: timestamp_s `99999999999999999999` is beyond"),
        "{m}"
    );
}

#[test]
fn peak_below_usage_names_file_and_line() {
    let m = message(&format!("{HEADER}\n0,5,5,\n60,10,9,\n"));
    assert_eq!(
        m,
        "w/r.csv:3: peak_bytes 9 is below usage_bytes 10: the peak of a sample is at least its usage"
    );
}

#[test]
fn missing_column_in_header_is_named() {
    let m = message("timestamp_s,usage_bytes,provisioned_bytes\n0,1,2\n");
    assert!(
        m.starts_with("w/r.csv:1: bad header (missing column peak_bytes)"),
        "{m}"
    );
}

#[test]
fn missing_field_in_a_row_names_the_line() {
    let m = message(&format!("{HEADER}\n0,1,1,1\n60,1,1\n"));
    assert!(m.starts_with("w/r.csv:3: expected 4 fields"), "{m}");
}

#[test]
fn non_numeric_names_line_and_column() {
    for bad in ["1.5", "-3", "+3", " 3", "1e6", "x", ""] {
        let m = message(&format!("{HEADER}\n0,1,1,1\n60,1,{bad},1\n"));
        assert!(
            m.starts_with(&format!("w/r.csv:3: peak_bytes `{bad}`")),
            "{m}"
        );
    }
}

#[test]
fn equal_or_decreasing_timestamps_name_the_line() {
    let m = message(&format!("{HEADER}\n0,1,1,1\n60,1,1,1\n\n60,1,1,1\n"));
    assert!(
        m.starts_with("w/r.csv:5: timestamp 60 is not after 60 (line 3)"),
        "{m}"
    );
    let m = message(&format!("{HEADER}\n100,1,1,1\n60,1,1,1\n"));
    assert!(
        m.starts_with("w/r.csv:3: timestamp 60 is not after 100"),
        "{m}"
    );
}

#[test]
fn empty_file_and_header_only_are_errors() {
    assert!(message("").starts_with("w/r.csv:1: empty file"));
    let m = message(&format!("{HEADER}\n"));
    assert!(m.starts_with("w/r.csv:2: no data row"), "{m}");
}

#[test]
fn crlf_line_endings_and_a_byte_order_mark_read_as_plain_lines() {
    let plain = parse(&format!("{HEADER}\n0,1,2,3\n60,4,5,\n")).unwrap();
    for text in [
        format!("{HEADER}\r\n0,1,2,3\r\n60,4,5,\r\n"),
        format!("\u{feff}{HEADER}\n0,1,2,3\n60,4,5,\n"),
        format!("\u{feff}{HEADER}\r\n0,1,2,3\r\n\r\n60,4,5,\r\n"),
    ] {
        let r = parse(&text).unwrap();
        assert_eq!(
            (&r.t, &r.usage, &r.peak, &r.provisioned),
            (&plain.t, &plain.usage, &plain.peak, &plain.provisioned)
        );
    }
    // A stray carriage return inside a line is still an error naming the line.
    let m = message(&format!("{HEADER}\n0,1,1\r,1\n"));
    assert!(m.starts_with("w/r.csv:2: peak_bytes"), "{m}");
}

#[test]
fn source_is_the_prefix_before_the_first_dash() {
    assert_eq!(source_of("bitbrains-2013-7-vm001"), "bitbrains");
    assert_eq!(source_of("nezha-frontend"), "nezha");
    assert_eq!(source_of("plain"), "plain");
}
