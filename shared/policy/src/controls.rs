//! The per-pod controls of DESIGN §1.4, read from a pod's annotations (set on its template):
//! the mode (`rightsize.dev/mode`) and the bounds (`rightsize.dev/{min,max}-{memory,cpu}`).
//! One parser for the webhook and the controller, so both read a pod the same way.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::annotations::{
    MAX_CPU, MAX_MEMORY, MIN_CPU, MIN_MEMORY, MODE, MODE_AUTO, MODE_INITIAL, MODE_OFF,
    MODE_RECOMMEND,
};
use crate::quantity::Quantity;
use crate::resources::Resource;

/// What rightsize does with a pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Size at admission and resize in place.
    #[default]
    Auto,
    /// Size at admission only.
    Initial,
    /// Annotate the recommendation, change nothing.
    Recommend,
    /// Leave the pod alone.
    Off,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => MODE_AUTO,
            Mode::Initial => MODE_INITIAL,
            Mode::Recommend => MODE_RECOMMEND,
            Mode::Off => MODE_OFF,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = ();
    /// Exactly one of the four names (annotation values are case-sensitive, as Kubernetes enums).
    fn from_str(s: &str) -> Result<Self, ()> {
        [Mode::Auto, Mode::Initial, Mode::Recommend, Mode::Off]
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or(())
    }
}

/// Lower and upper bounds of the requests rightsize sets, per resource; absent = unbounded.
/// Used for a pod's annotations and for the configured bounds alike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    pub min_memory: Option<Quantity>,
    pub max_memory: Option<Quantity>,
    pub min_cpu: Option<Quantity>,
    pub max_cpu: Option<Quantity>,
}

impl Bounds {
    /// `(min, max)` of `resource`.
    pub fn of(&self, resource: Resource) -> (Option<Quantity>, Option<Quantity>) {
        match resource {
            Resource::Memory => (self.min_memory, self.max_memory),
            Resource::Cpu => (self.min_cpu, self.max_cpu),
        }
    }
}

/// An annotation whose value rightsize cannot use. The message names the annotation and the
/// value, so the warning alone says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("{annotation}={value:?}: expected auto, initial, recommend or off")]
    Mode {
        annotation: &'static str,
        value: String,
    },
    #[error("{annotation}={value:?}: {reason}")]
    Quantity {
        annotation: &'static str,
        value: String,
        reason: String,
    },
    #[error("{min_annotation}={min} is above {max_annotation}={max}")]
    Crossed {
        min_annotation: &'static str,
        min: String,
        max_annotation: &'static str,
        max: String,
    },
}

impl ControlError {
    /// The annotation at fault (the lower bound, for crossed bounds).
    pub fn annotation(&self) -> &'static str {
        match self {
            Self::Mode { annotation, .. } | Self::Quantity { annotation, .. } => annotation,
            Self::Crossed { min_annotation, .. } => min_annotation,
        }
    }
}

/// A pod's controls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodControls {
    pub mode: Mode,
    pub bounds: Bounds,
}

impl PodControls {
    /// Read the controls from a pod's annotations; absent annotations take their defaults
    /// (mode `auto`, unbounded). The first unusable value is the error.
    pub fn from_annotations(
        annotations: Option<&BTreeMap<String, String>>,
    ) -> Result<Self, ControlError> {
        let get = |key: &str| annotations.and_then(|a| a.get(key)).map(String::as_str);
        let mode = match get(MODE) {
            None => Mode::default(),
            Some(value) => value.parse().map_err(|()| ControlError::Mode {
                annotation: MODE,
                value: value.to_owned(),
            })?,
        };
        let quantity = |annotation: &'static str| -> Result<Option<Quantity>, ControlError> {
            let Some(value) = get(annotation) else {
                return Ok(None);
            };
            let bad = |reason: String| ControlError::Quantity {
                annotation,
                value: value.to_owned(),
                reason,
            };
            match Quantity::parse(value.trim()) {
                Ok(q) if q.nanos() < 0 => Err(bad("must not be negative".into())),
                Ok(q) => Ok(Some(q)),
                Err(e) => Err(bad(e.kind.to_string())),
            }
        };
        let bounds = Bounds {
            min_memory: quantity(MIN_MEMORY)?,
            max_memory: quantity(MAX_MEMORY)?,
            min_cpu: quantity(MIN_CPU)?,
            max_cpu: quantity(MAX_CPU)?,
        };
        for (min_annotation, max_annotation, resource) in [
            (MIN_MEMORY, MAX_MEMORY, Resource::Memory),
            (MIN_CPU, MAX_CPU, Resource::Cpu),
        ] {
            if let (Some(min), Some(max)) = bounds.of(resource)
                && min > max
            {
                return Err(ControlError::Crossed {
                    min_annotation,
                    min: min.to_string(),
                    max_annotation,
                    max: max.to_string(),
                });
            }
        }
        Ok(Self { mode, bounds })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<PodControls, ControlError> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        PodControls::from_annotations(Some(&map))
    }

    #[test]
    fn pod_without_annotations_is_auto_and_unbounded() {
        assert_eq!(
            PodControls::from_annotations(None).unwrap(),
            PodControls::default()
        );
        assert_eq!(PodControls::default().mode, Mode::Auto);
    }

    #[test]
    fn every_mode_name_reads_back() {
        for mode in [Mode::Auto, Mode::Initial, Mode::Recommend, Mode::Off] {
            assert_eq!(read(&[(MODE, mode.as_str())]).unwrap().mode, mode);
        }
    }

    #[test]
    fn bounds_compare_numerically_whatever_the_spelling() {
        let c = read(&[
            (MIN_MEMORY, "0.5Gi"),
            (MAX_MEMORY, "512Mi"),
            (MAX_CPU, "1500m"),
        ])
        .unwrap();
        assert_eq!(c.bounds.min_memory, c.bounds.max_memory);
        assert_eq!(c.bounds.max_cpu, Some("1.5".parse().unwrap()));
    }

    #[test]
    fn unusable_values_name_annotation_and_value() {
        let err = read(&[(MODE, "Auto")]).unwrap_err();
        assert_eq!(err.annotation(), MODE);
        assert!(err.to_string().contains("\"Auto\""), "{err}");
        let err = read(&[(MAX_MEMORY, "lots")]).unwrap_err();
        assert_eq!(err.annotation(), MAX_MEMORY);
        assert!(
            err.to_string()
                .starts_with("rightsize.dev/max-memory=\"lots\"")
        );
        let err = read(&[(MIN_CPU, "-1")]).unwrap_err();
        assert_eq!(err.annotation(), MIN_CPU);
        let err = read(&[(MIN_MEMORY, "2Gi"), (MAX_MEMORY, "1Gi")]).unwrap_err();
        assert_eq!(err.annotation(), MIN_MEMORY);
    }
}
