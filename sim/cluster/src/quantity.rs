//! `resource.Quantity` as numbers: parse to exact nano-units (i128) and format canonical-enough
//! strings. Quantities are always compared numerically (`1000` = `1k`, `0.5Gi` = `512Mi`), as the
//! API server does (apimachinery `pkg/api/resource/quantity.go`).

const NANO: i128 = 1_000_000_000;

/// Parse a quantity string to nano-units, rounding up like apimachinery. `None` if malformed.
pub fn parse_nano(s: &str) -> Option<i128> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let num_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (num, suffix) = body.split_at(num_end);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return None;
    }
    let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
    // value = digits / 10^frac_len * multiplier; keep exact as (numerator, binary mult, dec exp).
    let digits: String = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return None;
    }
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut dec_exp: i32 = -(frac_part.len() as i32);
    let mut bin: i128 = 1;
    match suffix {
        "" => {}
        "Ki" => bin = 1 << 10,
        "Mi" => bin = 1 << 20,
        "Gi" => bin = 1 << 30,
        "Ti" => bin = 1 << 40,
        "Pi" => bin = 1 << 50,
        "Ei" => bin = 1 << 60,
        "n" => dec_exp -= 9,
        "u" => dec_exp -= 6,
        "m" => dec_exp -= 3,
        "k" => dec_exp += 3,
        "M" => dec_exp += 6,
        "G" => dec_exp += 9,
        "T" => dec_exp += 12,
        "P" => dec_exp += 15,
        "E" => dec_exp += 18,
        s if s.starts_with(['e', 'E']) => dec_exp += s[1..].parse::<i32>().ok()?,
        _ => return None,
    }
    // nano = mantissa * bin * 10^(dec_exp + 9), rounded up.
    let e = dec_exp + 9;
    let base = mantissa.checked_mul(bin)?;
    let value = if e >= 0 {
        base.checked_mul(10i128.checked_pow(e as u32)?)?
    } else {
        let div = 10i128.checked_pow((-e) as u32)?;
        (base + div - 1) / div
    };
    Some(if neg { -value } else { value })
}

/// Whole units (bytes for memory), rounded up.
pub fn parse_units(s: &str) -> Option<i128> {
    parse_nano(s).map(|n| (n + NANO - 1).div_euclid(NANO))
}

/// Milli-units (millicores for cpu), rounded up.
pub fn parse_milli(s: &str) -> Option<i128> {
    parse_nano(s).map(|n| (n + 999_999).div_euclid(1_000_000))
}

/// Bytes as the API server would print them: the largest binary suffix that is exact.
pub fn format_bytes(b: i128) -> String {
    for (suffix, shift) in [
        ("Ei", 60),
        ("Pi", 50),
        ("Ti", 40),
        ("Gi", 30),
        ("Mi", 20),
        ("Ki", 10),
    ] {
        let unit = 1i128 << shift;
        if b != 0 && b % unit == 0 {
            return format!("{}{suffix}", b / unit);
        }
    }
    b.to_string()
}

/// Millicores as the API server would print them (`500m`, `2`).
pub fn format_milli(m: i128) -> String {
    if m % 1000 == 0 {
        (m / 1000).to_string()
    } else {
        format!("{m}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_compare_numerically() {
        assert_eq!(parse_units("0.5Gi"), parse_units("512Mi"));
        assert_eq!(parse_units("1000"), parse_units("1k"));
        assert_eq!(parse_milli("0.1"), Some(100));
        assert_eq!(parse_milli("1E3"), Some(1_000_000));
        assert_eq!(parse_units(".001Ki"), Some(2));
        assert_eq!(parse_nano("1.5x"), None);
        assert_eq!(format_bytes(1536 * 1024 * 1024), "1536Mi");
        assert_eq!(format_milli(2000), "2");
    }
}
