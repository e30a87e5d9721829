//! Quantities as the API server reads and stores them, with the simulator's own code: the sim
//! is the oracle the project's clients are tested against, so it never borrows the project's
//! quantity parser (`rightsize_policy::quantity`). Written from apimachinery's rules
//! (`pkg/api/resource/quantity.go` `ParseQuantity`, `parseQuantityString`, `CanonicalizeBytes`;
//! `suffix.go`; `amount.go` `AsCanonicalBytes`) and checked against a table of apimachinery's own
//! test examples (`tests.rs`).
//!
//! - Parsing: `[+-]digits[.digits]` then a suffix (`n u m "" k M G T P E`, `Ki … Ei`, or
//!   `e`/`E` and an integer exponent); a number without digits (`Mi`, `.`) is zero. Values are
//!   rounded up (away from zero) to a nano-unit; binary values are capped at 2^63-1; a binary
//!   value between 0 and 1 becomes decimal.
//! - Stored form: the value re-encoded in its format's largest exact suffix (decimal exponents a
//!   multiple of 3), except that an input already in canonical shape is kept verbatim
//!   (`ParseQuantity`'s fast path, which keys on the digits and suffix, so `+1` and `100.035k`
//!   are stored as written, as the real server does).
//! - JSON: a string (trimmed of whitespace, as `UnmarshalJSON` does) or a bare number.
//!
//! Deliberate limit: values are exact `i128` nano-units, so decimal magnitudes beyond ~1.7e29
//! (apimachinery keeps them in arbitrary precision) and more than 38 significant digits are
//! refused as invalid. No manifest a test sends comes near them.

#[cfg(test)]
mod tests;

use std::cmp::Ordering;

use serde_json::Value;

/// Nano-units per unit.
const NANO: i128 = 1_000_000_000;
/// apimachinery's cap for binary-suffixed values: 2^63-1 units.
const MAX_BINARY_NANOS: i128 = (i64::MAX as i128) * NANO;
/// Significant digits of the fast path (`maxInt64Factors`).
const MAX_INT64_FACTORS: i32 = 18;
/// Decimal SI suffixes by power of ten.
const DECIMAL_SUFFIXES: [(i32, &str); 10] = [
    (-9, "n"),
    (-6, "u"),
    (-3, "m"),
    (0, ""),
    (3, "k"),
    (6, "M"),
    (9, "G"),
    (12, "T"),
    (15, "P"),
    (18, "E"),
];
/// Binary SI suffixes by power of 1024.
const BINARY_SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/// How a quantity was written, which decides how it is printed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `12M`, `100m`, `5`.
    DecimalSi,
    /// `12Mi`.
    BinarySi,
    /// `12e6`.
    DecimalExponent,
}

/// A parsed quantity: exact value in nano-units, its format, and the input string when the API
/// server would keep it verbatim. Equality and order are numeric (`1k` == `1000`).
#[derive(Debug, Clone)]
pub struct Quantity {
    nanos: i128,
    format: Format,
    verbatim: Option<String>,
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

/// The parts `parseQuantityString` splits a quantity into.
struct Parts<'a> {
    negative: bool,
    /// Integer digits without leading zeros (`"0"` when none are left).
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

fn digits_end(b: &[u8], from: usize) -> usize {
    from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count()
}

fn split(s: &str) -> Option<Parts<'_>> {
    let b = s.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut pos = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    pos += b[pos..].iter().take_while(|&&c| c == b'0').count();
    let num_end = digits_end(b, pos);
    let num = if num_end == pos {
        "0"
    } else {
        &s[pos..num_end]
    };
    pos = num_end;
    let mut denom = "";
    if b.get(pos) == Some(&b'.') {
        let end = digits_end(b, pos + 1);
        denom = &s[pos + 1..end];
        pos = end;
    }
    let suffix_start = pos;
    pos += b[pos..]
        .iter()
        .take_while(|c| b"eEinumkKMGTP".contains(c))
        .count();
    if matches!(b.get(pos), Some(b'-' | b'+')) {
        pos += 1;
    }
    if digits_end(b, pos) != b.len() {
        return None;
    }
    Some(Parts {
        negative,
        num,
        denom,
        suffix: &s[suffix_start..],
    })
}

/// `(base, exponent, format)` of a suffix (`suffix.go` `interpret`).
fn interpret(suffix: &str) -> Option<(u32, i32, Format)> {
    if let Some(&(e, _)) = DECIMAL_SUFFIXES.iter().find(|(_, s)| *s == suffix) {
        return Some((10, e, Format::DecimalSi));
    }
    if let Some(i) = BINARY_SUFFIXES[1..].iter().position(|s| *s == suffix) {
        return Some((2, 10 * (i as i32 + 1), Format::BinarySi));
    }
    let exp = suffix.strip_prefix(['e', 'E']).filter(|e| !e.is_empty())?;
    Some((10, exp.parse().ok()?, Format::DecimalExponent))
}

/// `ceil(|digits| × 10^shift)` as i128, or `None` beyond its range.
fn scale_up(digits: i128, shift: i32) -> Option<i128> {
    if shift >= 0 {
        return 10i128.checked_pow(shift as u32)?.checked_mul(digits);
    }
    Some(match 10i128.checked_pow(shift.unsigned_abs()) {
        Some(div) => (digits + div - 1) / div,
        None => i128::from(digits > 0),
    })
}

impl Quantity {
    /// Parse as `resource.ParseQuantity` does (no trimming: `" 1"` is invalid here).
    pub fn parse(s: &str) -> Option<Quantity> {
        if s.is_empty() {
            return None;
        }
        let p = split(s)?;
        let (base, exp, format) = interpret(p.suffix)?;
        let all = format!("{}{}", p.num, p.denom);
        let significant = all.trim_start_matches('0');
        let digits: i128 = if significant.is_empty() {
            0
        } else {
            significant.parse().ok()?
        };
        let denom_len = p.denom.len() as i32;
        let mut nanos = if base == 10 {
            scale_up(digits, exp.saturating_sub(denom_len).saturating_add(9))?
        } else {
            // digits × 2^exp × 10^(9 - denom_len), rounded up; too large saturates to the cap.
            match digits.checked_mul(1i128 << exp) {
                Some(v) => scale_up(v, 9 - denom_len)
                    .unwrap_or(MAX_BINARY_NANOS)
                    .min(MAX_BINARY_NANOS),
                None if denom_len <= 9 => MAX_BINARY_NANOS,
                None => return None,
            }
        };
        let mut format = format;
        if format == Format::BinarySi && nanos > 0 && nanos < NANO {
            format = Format::DecimalSi;
        }
        let verbatim = (s == "0" || keeps_verbatim(&p, base, exp)).then(|| s.to_string());
        if p.negative {
            nanos = -nanos;
        }
        Some(Quantity {
            nanos,
            format,
            verbatim,
        })
    }

    /// A quantity held in JSON: a string (whitespace trimmed, as `UnmarshalJSON` does) or a
    /// bare number.
    pub fn from_json(v: &Value) -> Option<Quantity> {
        match v {
            Value::String(s) => Quantity::parse(s.trim()),
            Value::Number(n) => Quantity::parse(&n.to_string()),
            _ => None,
        }
    }

    /// `bytes` as a binary-format quantity (`resource.NewQuantity(bytes, BinarySI)`).
    pub fn from_bytes(bytes: i128) -> Quantity {
        Quantity {
            nanos: bytes.saturating_mul(NANO),
            format: Format::BinarySi,
            verbatim: None,
        }
    }

    /// Exact value in nano-units.
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// `Value()`: whole units, rounded up (away from zero).
    pub fn value(&self) -> i128 {
        round_away(self.nanos, NANO)
    }

    /// `MilliValue()`: thousandths, rounded up (away from zero).
    pub fn milli_value(&self) -> i128 {
        round_away(self.nanos, NANO / 1000)
    }

    /// `Quantity.Add`: the sum keeps this quantity's format (the other's when this one is
    /// zero), and is printed in canonical form afterwards.
    pub fn add(&self, other: &Quantity) -> Quantity {
        let format = if self.nanos == 0 {
            other.format
        } else {
            self.format
        };
        Quantity {
            nanos: self.nanos.saturating_add(other.nanos),
            format,
            verbatim: None,
        }
    }

    /// `Quantity.Sub` (see [`Quantity::add`]).
    pub fn sub(&self, other: &Quantity) -> Quantity {
        let neg = Quantity {
            nanos: -other.nanos,
            format: other.format,
            verbatim: None,
        };
        self.add(&neg)
    }

    /// The string the API server stores and returns (`String()`).
    pub fn canonical(&self) -> String {
        if let Some(s) = &self.verbatim {
            return s.clone();
        }
        if self.nanos == 0 {
            return "0".into();
        }
        let sign = if self.nanos < 0 { "-" } else { "" };
        let m = self.nanos.abs();
        if self.format == Format::BinarySi && m >= 1024 * NANO && m % NANO == 0 {
            let (mut units, mut power) = (m / NANO, 0);
            while units % 1024 == 0 && power < BINARY_SUFFIXES.len() - 1 {
                units /= 1024;
                power += 1;
            }
            return format!("{sign}{units}{}", BINARY_SUFFIXES[power]);
        }
        let (mut mantissa, mut exp) = (m, -9i32);
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exp += 1;
        }
        while exp.rem_euclid(3) != 0 {
            mantissa *= 10;
            exp -= 1;
        }
        let suffix = match self.format {
            Format::DecimalExponent if exp == 0 => String::new(),
            Format::DecimalExponent => format!("e{exp}"),
            // Beyond `E` apimachinery finds no suffix and prints the digits alone.
            _ => DECIMAL_SUFFIXES
                .iter()
                .find(|(e, _)| *e == exp)
                .map_or("", |(_, s)| s)
                .to_string(),
        };
        format!("{sign}{mantissa}{suffix}")
    }
}

fn round_away(nanos: i128, unit: i128) -> i128 {
    let q = nanos / unit;
    if nanos % unit == 0 {
        q
    } else {
        q + nanos.signum()
    }
}

/// `ParseQuantity`'s fast path: an input that fits 18 digits with a scale of at least nano is
/// kept verbatim when it already looks canonical (binary: mantissa not a multiple of 8;
/// decimal: scale a multiple of 3, no trailing `000`, no leading zero).
fn keeps_verbatim(p: &Parts<'_>, base: u32, exp: i32) -> bool {
    let digits = (p.num.len() + p.denom.len()) as i32;
    let precision = if base == 10 {
        MAX_INT64_FACTORS - digits
    } else if p.denom.is_empty() {
        // 15 - len(num) - exp*3/10 - 1: about three decimal digits per power of 1024.
        15 - p.num.len() as i32 - exp * 3 / 10 - 1
    } else {
        -1
    };
    let scale = if base == 10 { exp } else { 0 }.saturating_sub(p.denom.len() as i32);
    if precision < 0 || scale < -9 {
        return false;
    }
    let shifted = format!("{}{}", p.num, p.denom);
    let Ok(value) = shifted.parse::<i64>() else {
        return false;
    };
    if base == 2 {
        value.checked_mul(1i64 << exp).is_some() && value & 7 != 0
    } else {
        scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0')
    }
}

/// A quantity held in JSON (see [`Quantity::from_json`]).
pub fn from_json(v: &Value) -> Option<Quantity> {
    Quantity::from_json(v)
}

/// The quantity at a JSON pointer (`/resources/limits/memory`), if present and valid.
pub fn at(v: &Value, pointer: &str) -> Option<Quantity> {
    v.pointer(pointer).and_then(from_json)
}

/// Parse a quantity string (see [`Quantity::parse`]).
pub fn parse(s: &str) -> Option<Quantity> {
    Quantity::parse(s)
}

/// Bytes printed as the API server prints a binary quantity (`1536Mi`, `1500000`).
pub fn format_bytes(bytes: i128) -> String {
    Quantity::from_bytes(bytes).canonical()
}
