//! The grammar half of quantities: splitting a string as apimachinery's `parseQuantityString`
//! does, the suffix table of `suffix.go`, the exact value in nano-units (rounded up like
//! `ParseQuantity`), and the fast-path rule under which the API server keeps an input verbatim.

use super::QuantityErrorKind;

/// Fraction digits (below one nano-unit) kept exactly while applying a binary suffix; anything
/// further only decides whether to round up. 64 ≥ 60 (the largest binary exponent, `Ei`) is
/// enough: a multiple of 2^-60 has at most 60 decimals, so digits past the 64th can never carry
/// into the integer part, only make the fraction non-zero.
const FRACTION_DIGITS: usize = 64;

/// A parsed suffix: a power of ten, a power of two, or a decimal exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Suffix {
    Decimal(i32),
    Binary(u32),
    Exponent(i32),
}

/// The pieces of a quantity string, as apimachinery's `parseQuantityString` splits it.
pub(super) struct Parts<'a> {
    pub negative: bool,
    pub int_digits: &'a str,
    pub frac_digits: &'a str,
    pub suffix: Suffix,
}

/// Split `input` into sign, digits and suffix, as `parseQuantityString` does, then interpret the
/// suffix as `suffix.go`'s `interpret` does.
pub(super) fn split(input: &str) -> Result<Parts<'_>, QuantityErrorKind> {
    if input.is_empty() {
        return Err(QuantityErrorKind::Empty);
    }
    let (negative, rest) = match input.as_bytes()[0] {
        b'-' => (true, &input[1..]),
        b'+' => (false, &input[1..]),
        _ => (false, input),
    };
    let int_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let int_digits = &rest[..int_end];
    let mut rest = &rest[int_end..];
    let mut frac_digits = "";
    if let Some(after_point) = rest.strip_prefix('.') {
        let frac_end = after_point
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after_point.len());
        frac_digits = &after_point[..frac_end];
        rest = &after_point[frac_end..];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(QuantityErrorKind::NoDigits);
    }
    if rest.starts_with('.') {
        return Err(QuantityErrorKind::ExtraDecimalPoint);
    }
    Ok(Parts {
        negative,
        int_digits,
        frac_digits,
        suffix: interpret_suffix(rest)?,
    })
}

/// The suffix table of `suffix.go` (`newSuffixer`), plus `e`/`E` followed by a signed integer.
/// A lone `E` is exa, not an exponent (`"1E"` = 10^18).
fn interpret_suffix(suffix: &str) -> Result<Suffix, QuantityErrorKind> {
    let decimal = |e| Ok(Suffix::Decimal(e));
    let binary = |e| Ok(Suffix::Binary(e));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let unknown = || QuantityErrorKind::UnknownSuffix(suffix.to_owned());
            let exponent = suffix
                .strip_prefix(['e', 'E'])
                .filter(|rest| is_signed_integer(rest))
                .ok_or_else(unknown)?;
            // Go's strconv.ParseInt accepts a sign and leading zeros, as does Rust's parse.
            let value: i64 = exponent
                .parse()
                .map_err(|_| QuantityErrorKind::ExponentOutOfRange)?;
            let value = i32::try_from(value).map_err(|_| QuantityErrorKind::ExponentOutOfRange)?;
            Ok(Suffix::Exponent(value))
        }
    }
}

fn is_signed_integer(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// |digits × 10^exp10 × 2^exp2| in nano-units, rounded up; `None` if it does not fit a `u128`.
pub(super) fn magnitude_nanos(
    int_digits: &str,
    frac_digits: &str,
    exp10: i32,
    exp2: u32,
) -> Option<u128> {
    let mut digits: Vec<u8> = int_digits
        .bytes()
        .chain(frac_digits.bytes())
        .map(|b| b - b'0')
        .skip_while(|&d| d == 0)
        .collect();
    // Position of the nano point: value = digits × 10^exp (in nano-units).
    let mut exp = i64::from(exp10) + 9 - frac_digits.len() as i64;
    while digits.last() == Some(&0) {
        digits.pop();
        exp += 1;
    }
    if digits.is_empty() {
        return Some(0);
    }
    let n = digits.len() as i64;
    // u128 holds 38 full decimal digits; anything longer overflows.
    if n + exp > 40 {
        return None;
    }
    let (int_part, mut frac, mut sticky): (Vec<u8>, Vec<u8>, bool) = if exp >= 0 {
        let mut int_part = digits;
        int_part.extend(std::iter::repeat_n(0, exp as usize));
        (int_part, Vec::new(), false)
    } else {
        let split = n + exp;
        let (int_part, frac_all): (&[u8], Vec<u8>) = if split > 0 {
            (&digits[..split as usize], digits[split as usize..].to_vec())
        } else {
            let zeros = (-split).min(FRACTION_DIGITS as i64 + 1) as usize;
            let mut f = vec![0; zeros];
            f.extend_from_slice(&digits);
            (&[], f)
        };
        let kept = frac_all.len().min(FRACTION_DIGITS);
        let sticky = frac_all[kept..].iter().any(|&d| d != 0);
        (int_part.to_vec(), frac_all[..kept].to_vec(), sticky)
    };
    let mut int: u128 = 0;
    for d in int_part {
        int = int.checked_mul(10)?.checked_add(u128::from(d))?;
    }
    for _ in 0..exp2 {
        let carry = double_in_place(&mut frac);
        int = int.checked_mul(2)?.checked_add(u128::from(carry))?;
    }
    sticky |= frac.iter().any(|&d| d != 0);
    int.checked_add(u128::from(sticky))
}

/// Double a decimal fraction `0.d1 d2 …` in place; returns the digit carried into the units.
fn double_in_place(frac: &mut [u8]) -> u8 {
    let mut carry = 0;
    for d in frac.iter_mut().rev() {
        let v = *d * 2 + carry;
        *d = v % 10;
        carry = v / 10;
    }
    carry
}
