//! Kubernetes resource quantities (`resource.Quantity`): parse every form the API accepts, compare
//! them numerically, convert them to bytes, cores and millicores, and format them canonically.
//!
//! Source of truth: apimachinery `pkg/api/resource/quantity.go` (`ParseQuantity`,
//! `parseQuantityString`, `CanonicalizeBytes`), `suffix.go`, `amount.go` and their tests
//! (`TestQuantityParse`, `TestQuantityString`, `TestQuantityParseEmit`); summarised in
//! `../shared/reference/kubernetes-api-facts.md` §5.
//!
//! Why our own code: the maintained crates were checked against the Kubernetes doc examples and
//! fail them. `kube_quantity` 0.9 parses the number through an `f64` (precision loss), accepts
//! `"Mi"` and `"+"` as valid, and formats `1.5Gi` as `1.5Gi` instead of `1536Mi`;
//! `k8s_quantity_parser` 0.1 parses integers only (`0.5Gi`, `1e3` and `1.5` fail) and cannot
//! format.
//!
//! Representation: a signed count of nano-units (10^-9) in an `i128`. apimachinery rounds every
//! parsed value up (away from zero) to a whole nano-unit, so this holds every parsed quantity
//! exactly, and comparisons are exact integer comparisons (`1000` = `1k`, `0.5Gi` = `512Mi`).
//! The [`Format`] the value was written in is kept because it decides how it is printed.
//!
//! Deliberate differences from apimachinery, all on inputs no sane manifest contains:
//! - a number without any digit (`""`, `"."`, `"+"`, `"Mi"`) is an error; apimachinery reads the
//!   last three as zero, which for a sizing tool would silently mean "no memory";
//! - decimal values above `i128::MAX` nano-units (about 1.7e29) are an error (apimachinery keeps
//!   them in an arbitrary-precision decimal);
//! - an exponent outside the `i32` range is an error (apimachinery truncates it to 32 bits).
//!
//! Objects read back from the API server never hit these cases: the server has already parsed
//! and re-emitted every quantity in canonical form.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

mod canonical;
mod json;
mod parse;
use parse::{Suffix, magnitude_nanos, split};

/// Nano-units in one unit (one byte, one core).
pub const NANOS_PER_UNIT: i128 = 1_000_000_000;
/// Nano-units in one milli-unit (one millicore).
pub const NANOS_PER_MILLI: i128 = 1_000_000;
/// Bytes in one KiB.
pub const KIB: i128 = 1 << 10;
/// Bytes in one MiB.
pub const MIB: i128 = 1 << 20;
/// Bytes in one GiB.
pub const GIB: i128 = 1 << 30;

/// apimachinery silently caps BinarySI values at 2^63-1 units (`maxAllowed` in `quantity.go`):
/// `"9Ei"` parses as 9223372036854775807.
const MAX_BINARY_NANOS: u128 = (i64::MAX as u128) * (NANOS_PER_UNIT as u128);

/// The three spellings of a quantity. A parsed value remembers its format and is printed in the
/// same family (`quantity.go`, "When a Quantity is parsed from a string, it will remember the type
/// of suffix it had").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Powers of ten with SI suffixes: `n u m "" k M G T P E`.
    DecimalSI,
    /// Powers of 1024: `Ki Mi Gi Ti Pi Ei`.
    BinarySI,
    /// Powers of ten written as `e<int>` / `E<int>`.
    DecimalExponent,
}

/// Why a quantity string (or number) was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityErrorKind {
    #[error("empty string")]
    Empty,
    #[error("no digits in the number")]
    NoDigits,
    #[error("more than one decimal point")]
    ExtraDecimalPoint,
    #[error("unknown suffix {0:?}")]
    UnknownSuffix(String),
    #[error("exponent out of range")]
    ExponentOutOfRange,
    #[error("value out of range")]
    OutOfRange,
    #[error("not a finite number")]
    NotFinite,
    #[error("negative amount")]
    Negative,
}

/// A rejected quantity, naming the input so the message alone is enough to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid quantity {input:?}: {kind}")]
pub struct QuantityError {
    pub input: String,
    pub kind: QuantityErrorKind,
}

impl QuantityError {
    fn new(input: impl Into<String>, kind: QuantityErrorKind) -> Self {
        Self {
            input: input.into(),
            kind,
        }
    }
}

/// An exact Kubernetes quantity. Equality, ordering and hashing are numeric: the format only
/// matters for printing (`Quantity::parse("1000")? == Quantity::parse("1k")?`).
#[derive(Clone, Copy, Debug)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

impl Quantity {
    /// The zero quantity (printed `"0"`).
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: Format::DecimalSI,
    };

    /// Parse a quantity exactly as the API server does (`<sign><number><suffix>`, no whitespace),
    /// rounding up to a whole nano-unit; see the module doc for the few stricter cases.
    pub fn parse(input: &str) -> Result<Self, QuantityError> {
        let parts = split(input).map_err(|kind| QuantityError::new(input, kind))?;
        let (exp10, exp2, mut format) = match parts.suffix {
            Suffix::Decimal(e) => (e, 0, Format::DecimalSI),
            Suffix::Binary(e) => (0, e, Format::BinarySI),
            Suffix::Exponent(e) => (e, 0, Format::DecimalExponent),
        };
        let magnitude = magnitude_nanos(parts.int_digits, parts.frac_digits, exp10, exp2);
        let magnitude = match (format, magnitude) {
            (Format::BinarySI, Some(m)) => m.min(MAX_BINARY_NANOS),
            (Format::BinarySI, None) => MAX_BINARY_NANOS,
            (_, Some(m)) if m <= i128::MAX as u128 => m,
            _ => return Err(QuantityError::new(input, QuantityErrorKind::OutOfRange)),
        };
        // A BinarySI value between 0 and 1 becomes DecimalSI "to avoid rounding" (ParseQuantity).
        if format == Format::BinarySI && magnitude > 0 && magnitude < NANOS_PER_UNIT as u128 {
            format = Format::DecimalSI;
        }
        // Both caps above keep the magnitude within i128.
        let nanos = magnitude as i128;
        Ok(Self {
            nanos: if parts.negative { -nanos } else { nanos },
            format,
        })
    }

    /// A quantity of `nanos` nano-units, printed in `format`.
    pub fn from_nanos(nanos: i128, format: Format) -> Self {
        Self { nanos, format }
    }

    /// A memory amount in whole bytes. Printed in binary form (`512Mi`) when the count is a
    /// multiple of 1024, else in decimal form (`1500k`, `1025`): the readable choice in both cases,
    /// and the one `kubectl` users write by hand.
    pub fn from_bytes(bytes: i128) -> Self {
        let format = if bytes != 0 && bytes % KIB == 0 {
            Format::BinarySI
        } else {
            Format::DecimalSI
        };
        Self::from_nanos(bytes.saturating_mul(NANOS_PER_UNIT), format)
    }

    /// A CPU amount in millicores (`250m`, `2`).
    pub fn from_millis(millis: i128) -> Self {
        Self::from_nanos(millis.saturating_mul(NANOS_PER_MILLI), Format::DecimalSI)
    }

    /// A memory amount from the policy's `f64` bytes, rounded UP to a multiple of `step` bytes
    /// (`1` for exact bytes, [`MIB`] for readable values): a sizing decision must never hand out
    /// less than it computed.
    pub fn memory_from_f64(bytes: f64, step: u64) -> Result<Self, QuantityError> {
        let whole = ceil_non_negative(bytes)?;
        let step = i128::from(step.max(1));
        let rounded = whole
            .checked_add(step - 1)
            .map(|v| v / step * step)
            .ok_or_else(|| QuantityError::new(bytes.to_string(), QuantityErrorKind::OutOfRange))?;
        Ok(Self::from_bytes(rounded))
    }

    /// A CPU amount from `f64` cores, rounded UP to whole millicores (the smallest CPU unit the
    /// kubelet honours).
    pub fn cpu_from_f64(cores: f64) -> Result<Self, QuantityError> {
        let millis = ceil_non_negative(cores * 1000.0)
            .map_err(|e| QuantityError::new(cores.to_string(), e.kind))?;
        Ok(Self::from_millis(millis))
    }

    /// The exact value in nano-units.
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The format the value is printed in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// True for zero (however written: `0`, `0Mi`, `0m`).
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// The value in units (bytes for memory, cores for cpu) as `f64`. Exact for whole numbers of
    /// units up to 2^53 (8 PiB of memory).
    pub fn as_f64(&self) -> f64 {
        let whole = self.nanos / NANOS_PER_UNIT;
        let frac = self.nanos % NANOS_PER_UNIT;
        whole as f64 + frac as f64 / NANOS_PER_UNIT as f64
    }

    /// The value in whole units, rounded up away from zero, like apimachinery's `Value()`
    /// (`0.5` → 1, `-0.5` → -1). Bytes for memory.
    pub fn value(&self) -> i128 {
        div_away_from_zero(self.nanos, NANOS_PER_UNIT)
    }

    /// The value in milli-units, rounded up away from zero, like apimachinery's `MilliValue()`.
    /// Millicores for cpu.
    pub fn milli_value(&self) -> i128 {
        div_away_from_zero(self.nanos, NANOS_PER_MILLI)
    }

    /// As the k8s-openapi type, in canonical form.
    pub fn to_k8s(&self) -> K8sQuantity {
        K8sQuantity(self.to_string())
    }
}

fn div_away_from_zero(n: i128, d: i128) -> i128 {
    let q = n / d;
    if n % d == 0 {
        q
    } else if n > 0 {
        q + 1
    } else {
        q - 1
    }
}

fn ceil_non_negative(x: f64) -> Result<i128, QuantityError> {
    let err = |kind| QuantityError::new(x.to_string(), kind);
    if !x.is_finite() {
        return Err(err(QuantityErrorKind::NotFinite));
    }
    if x < 0.0 {
        return Err(err(QuantityErrorKind::Negative));
    }
    let c = x.ceil();
    // Well inside i128 and the nano-unit range of from_bytes.
    if c > 1e28 {
        return Err(err(QuantityErrorKind::OutOfRange));
    }
    Ok(c as i128)
}

impl FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&K8sQuantity> for Quantity {
    type Error = QuantityError;
    fn try_from(q: &K8sQuantity) -> Result<Self, Self::Error> {
        Self::parse(&q.0)
    }
}

impl From<Quantity> for K8sQuantity {
    fn from(q: Quantity) -> Self {
        q.to_k8s()
    }
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

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

#[cfg(test)]
mod tests;
