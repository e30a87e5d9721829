//! JSON (serde) form of a [`Quantity`]: written as its canonical string like apimachinery's
//! `MarshalJSON`, read from a string or a bare number like `UnmarshalJSON`.

use std::fmt;

use super::{Format, NANOS_PER_UNIT, Quantity};

/// Serialized as its canonical string, like apimachinery's `MarshalJSON`.
impl serde::Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialized from a string (bare JSON numbers are accepted too, as `UnmarshalJSON` does).
impl<'de> serde::Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kubernetes quantity such as \"512Mi\" or \"250m\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
                Quantity::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::from_nanos(
                    i128::from(v) * NANOS_PER_UNIT,
                    Format::DecimalSI,
                ))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity::from_nanos(
                    i128::from(v) * NANOS_PER_UNIT,
                    Format::DecimalSI,
                ))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
                Quantity::parse(&v.to_string()).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
