//! The canonical text form of a [`Quantity`] (its `Display`), as apimachinery's
//! `CanonicalizeBytes` computes it. Kept apart from parsing because it is the one place that
//! decides how every quantity we write into a pod spec or an Event reads.

use std::fmt;

use super::{Format, NANOS_PER_UNIT, Quantity};

/// The canonical form, as `CanonicalizeBytes` computes it: no fractional digits, the largest
/// suffix that loses no precision, decimal exponents in multiples of 3, a sign only when negative,
/// `"0"` for zero. BinarySI values below 1024 or with a fraction print as DecimalSI
/// (`0.5Ki` → `512`, `.001Ki` → `1024m`); DecimalSI beyond `E` falls back to `e<n>` (`1e21`).
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        let sign = if self.nanos < 0 { "-" } else { "" };
        let mag = self.nanos.unsigned_abs();
        let unit = NANOS_PER_UNIT as u128;
        let format = match self.format {
            Format::BinarySI if mag < 1024 * unit || !mag.is_multiple_of(unit) => Format::DecimalSI,
            other => other,
        };
        if format == Format::BinarySI {
            const BINARY: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
            let (mut m, mut e) = (mag / unit, 0);
            while m % 1024 == 0 && e + 1 < BINARY.len() {
                m /= 1024;
                e += 1;
            }
            return write!(f, "{sign}{m}{}", BINARY[e]);
        }
        // Move every factor of ten into the exponent, then lower it to a multiple of 3.
        let (mut m, mut e) = (mag, -9i32);
        while m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        let r = e.rem_euclid(3);
        m *= 10u128.pow(r as u32);
        e -= r;
        let decimal_suffix = match e {
            -9 => Some("n"),
            -6 => Some("u"),
            -3 => Some("m"),
            0 => Some(""),
            3 => Some("k"),
            6 => Some("M"),
            9 => Some("G"),
            12 => Some("T"),
            15 => Some("P"),
            18 => Some("E"),
            _ => None,
        };
        match (format, decimal_suffix) {
            (Format::DecimalSI, Some(s)) => write!(f, "{sign}{m}{s}"),
            (_, _) if e == 0 => write!(f, "{sign}{m}"),
            _ => write!(f, "{sign}{m}e{e}"),
        }
    }
}
