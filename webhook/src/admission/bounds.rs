//! Turning a target request into a request/limit pair the API server accepts: the pod's own
//! bounds (`rightsize.dev/{min,max}-*`), then the configured bounds, then the limit scaled with
//! the request (the declared limit/request ratio is kept), then the namespace's LimitRange
//! (per-container `min`, `max`, `maxLimitRequestRatio`). Each step that changed something leaves
//! a note for the `rightsize.dev/admitted` annotation.
//!
//! Bounds apply to the request, as VPA's `minAllowed`/`maxAllowed` do: the request is what the
//! scheduler reserves, and the limit follows it at the declared ratio. A LimitRange bounds both,
//! so a limit above its `max` is lowered to it and the request lowered with it, keeping the ratio
//! (VPA `capping.go` applies LimitRange min/max proportionally the same way).

use rightsize_policy::controls::Bounds;
use rightsize_policy::quantity::{Format, NANOS_PER_MILLI, NANOS_PER_UNIT, Quantity};
use rightsize_policy::resources::{RequestLimit, Resource, scale_keeping_ratio};

use super::limits::Constraints;

/// The bounds in force for one container, in the order they apply.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits<'a> {
    /// From the pod's annotations.
    pub pod: &'a Bounds,
    /// From the webhook's configuration.
    pub configured: &'a Bounds,
    /// The namespace's per-container LimitRange constraints of the resource at hand.
    pub limit_range: &'a Constraints,
}

/// The pair for `target` request of `resource`, or `None` when no pair satisfies the
/// LimitRange (the container then keeps its declared size; a note says why).
pub(crate) fn shape(
    resource: Resource,
    declared: &RequestLimit,
    target: Quantity,
    limits: &Limits<'_>,
    notes: &mut Vec<String>,
) -> Option<RequestLimit> {
    let r = clamp(
        resource,
        target,
        limits.pod.of(resource),
        ("rightsize.dev/min", "rightsize.dev/max"),
        notes,
    );
    let (lo, hi) = configured_names(resource);
    let r = clamp(resource, r, limits.configured.of(resource), (lo, hi), notes);
    let mut pair = scale_keeping_ratio(resource, declared, r);
    fit_limit_range(resource, declared, &mut pair, limits.limit_range, notes);
    if satisfies(&pair, limits.limit_range) {
        Some(pair)
    } else {
        notes.push(format!(
            "no {resource} size satisfies the namespace's LimitRange: declared size kept"
        ));
        None
    }
}

/// Whether a pair passes LimitRanger's per-container checks and request ≤ limit.
pub(crate) fn satisfies(pair: &RequestLimit, c: &Constraints) -> bool {
    let values = [pair.request, pair.limit];
    if let (Some(r), Some(l)) = (pair.request, pair.limit)
        && r > l
    {
        return false;
    }
    if let Some(min) = c.min
        && values.iter().flatten().any(|v| *v < min)
    {
        return false;
    }
    if let Some(max) = c.max
        && values.iter().flatten().any(|v| *v > max)
    {
        return false;
    }
    match (pair.request, pair.limit, c.max_limit_request_ratio) {
        (Some(r), Some(l), Some(ratio)) if !r.is_zero() => ratio_at_most(l, r, ratio),
        _ => true,
    }
}

/// `l / r <= ratio`, exactly when it fits in i128, else in f64.
fn ratio_at_most(l: Quantity, r: Quantity, ratio: Quantity) -> bool {
    match (
        l.nanos().checked_mul(NANOS_PER_UNIT),
        r.nanos().checked_mul(ratio.nanos()),
    ) {
        (Some(a), Some(b)) => a <= b,
        _ => l.as_f64() <= r.as_f64() * ratio.as_f64(),
    }
}

fn configured_names(resource: Resource) -> (&'static str, &'static str) {
    match resource {
        Resource::Memory => ("the configured MIN_MEMORY", "the configured MAX_MEMORY"),
        Resource::Cpu => ("the configured MIN_CPU", "the configured MAX_CPU"),
    }
}

/// Clamp a request into `[min, max]`, noting which bound acted.
fn clamp(
    resource: Resource,
    value: Quantity,
    (min, max): (Option<Quantity>, Option<Quantity>),
    (min_name, max_name): (&str, &str),
    notes: &mut Vec<String>,
) -> Quantity {
    let suffix = |name: &str| {
        if name.starts_with("rightsize.dev/") {
            format!("{name}-{resource}")
        } else {
            name.to_owned()
        }
    };
    if let Some(max) = max
        && value > max
    {
        notes.push(format!("capped at {} {max}", suffix(max_name)));
        return max;
    }
    if let Some(min) = min
        && value < min
    {
        notes.push(format!("raised to {} {min}", suffix(min_name)));
        return min;
    }
    value
}

/// Move a pair into the LimitRange where possible: a limit (or request) above `max` comes down
/// with the request at the declared ratio, a request below `min` goes up, and a request too small
/// for `maxLimitRequestRatio` goes up to limit / ratio. [`satisfies`] checks the result.
fn fit_limit_range(
    resource: Resource,
    declared: &RequestLimit,
    pair: &mut RequestLimit,
    c: &Constraints,
    notes: &mut Vec<String>,
) {
    if let Some(max) = c.max {
        let top = pair.limit.or(pair.request);
        if let (Some(top), Some(request)) = (top, pair.request)
            && top > max
        {
            let scaled = scale_down(resource, request, max, top);
            *pair = RequestLimit::new(Some(scaled), pair.limit.map(|_| max));
            notes.push(format!("capped at the LimitRange max {max}"));
        }
    }
    if let (Some(min), Some(request)) = (c.min, pair.request)
        && request < min
    {
        *pair = scale_keeping_ratio(resource, declared, min);
        notes.push(format!("raised to the LimitRange min {min}"));
    }
    if let (Some(ratio), Some(r), Some(l)) = (c.max_limit_request_ratio, pair.request, pair.limit)
        && !ratio.is_zero()
        && !ratio_at_most(l, r, ratio)
    {
        let needed = from_units(resource, l.as_f64() / ratio.as_f64(), true);
        pair.request = Some(needed.min(l));
        notes.push(format!(
            "request raised to keep the LimitRange maxLimitRequestRatio {ratio}"
        ));
    }
}

/// `request × max / top`, rounded down (the result must not exceed `max`).
fn scale_down(resource: Resource, request: Quantity, max: Quantity, top: Quantity) -> Quantity {
    let value = request.as_f64() * (max.as_f64() / top.as_f64());
    from_units(resource, value, false).min(max)
}

/// A quantity of `units` bytes (memory) or cores (cpu), rounded to whole bytes or millicores.
pub(crate) fn from_units(resource: Resource, units: f64, up: bool) -> Quantity {
    let round = |x: f64| if up { x.ceil() } else { x.floor() };
    match resource {
        Resource::Memory => Quantity::from_bytes(round(units.max(0.0)) as i128),
        Resource::Cpu => Quantity::from_nanos(
            round(units.max(0.0) * 1000.0) as i128 * NANOS_PER_MILLI,
            Format::DecimalSI,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        s.parse().unwrap()
    }

    fn pair(r: &str, l: &str) -> RequestLimit {
        RequestLimit::new(Some(q(r)), Some(q(l)))
    }

    #[test]
    fn pod_max_caps_the_request_and_the_limit_keeps_its_ratio() {
        let none = Bounds::default();
        let pod = Bounds {
            max_memory: Some(q("1Gi")),
            ..Bounds::default()
        };
        let c = Constraints::default();
        let limits = Limits {
            pod: &pod,
            configured: &none,
            limit_range: &c,
        };
        let mut notes = vec![];
        let got = shape(
            Resource::Memory,
            &pair("256Mi", "512Mi"),
            q("3Gi"),
            &limits,
            &mut notes,
        );
        assert_eq!(got, Some(pair("1Gi", "2Gi")));
        assert_eq!(notes, ["capped at rightsize.dev/max-memory 1Gi"]);
    }

    #[test]
    fn limit_range_max_lowers_limit_and_request_together() {
        let none = Bounds::default();
        let c = Constraints {
            max: Some(q("1Gi")),
            ..Constraints::default()
        };
        let limits = Limits {
            pod: &none,
            configured: &none,
            limit_range: &c,
        };
        let mut notes = vec![];
        let got = shape(
            Resource::Memory,
            &pair("256Mi", "512Mi"),
            q("1Gi"),
            &limits,
            &mut notes,
        );
        assert_eq!(got, Some(pair("512Mi", "1Gi")));
        assert_eq!(notes, ["capped at the LimitRange max 1Gi"]);
    }

    #[test]
    fn limit_range_with_min_above_max_keeps_the_declared_size() {
        let none = Bounds::default();
        let c = Constraints {
            min: Some(q("2Gi")),
            max: Some(q("1Gi")),
            ..Constraints::default()
        };
        let limits = Limits {
            pod: &none,
            configured: &none,
            limit_range: &c,
        };
        let mut notes = vec![];
        let got = shape(
            Resource::Memory,
            &pair("256Mi", "256Mi"),
            q("600Mi"),
            &limits,
            &mut notes,
        );
        assert_eq!(got, None);
        assert!(notes.last().unwrap().contains("declared size kept"));
    }

    #[test]
    fn ratio_rule_raises_the_request() {
        let c = Constraints {
            max_limit_request_ratio: Some(q("2")),
            ..Constraints::default()
        };
        let mut p = pair("100Mi", "400Mi");
        let declared = p;
        fit_limit_range(Resource::Memory, &declared, &mut p, &c, &mut vec![]);
        assert_eq!(p, pair("200Mi", "400Mi"));
        assert!(satisfies(&p, &c));
    }

    #[test]
    fn cpu_bounds_compare_numerically() {
        let c = Constraints {
            max: Some(q("1")),
            ..Constraints::default()
        };
        assert!(satisfies(&pair("500m", "1000m"), &c));
        assert!(!satisfies(&pair("500m", "1001m"), &c));
    }
}
