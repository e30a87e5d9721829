//! Limit scaling: a decided request carries the declared limit along, by the declared ratio,
//! never below the request and never overflowing.

use super::*;

#[test]
fn limit_scales_with_the_request_keeping_the_declared_ratio() {
    let mem = |declared, request| {
        to_request(&one(declared, rl("", "")), "app", Resource::Memory, request)
            .unwrap()
            .memory
    };
    assert_eq!(mem(rl("512Mi", "1Gi"), "300Mi"), rl("300Mi", "600Mi"));
    // Ratio 4/3 rounds the limit up to a whole MiB.
    assert_eq!(mem(rl("768Mi", "1Gi"), "100Mi"), rl("100Mi", "134Mi"));
    // A request in plain bytes gets a limit in whole bytes.
    assert_eq!(mem(rl("1Mi", "3Mi"), "1000001"), rl("1000001", "3000003"));
    // Cpu rounds to whole millicores.
    let cpu = |declared, request| {
        to_request(&one(rl("", ""), declared), "app", Resource::Cpu, request)
            .unwrap()
            .cpu
    };
    assert_eq!(cpu(rl("250m", "500m"), "300m"), rl("300m", "600m"));
    assert_eq!(cpu(rl("3", "4"), "100m"), rl("100m", "134m"));
}

#[test]
fn no_declared_limit_means_no_limit_is_set() {
    let p = one(rl("512Mi", ""), rl("", ""));
    let resized = resize_container(&p, "app", Resource::Memory, Allocation::equal(1073741824.0));
    assert_eq!(resized.unwrap().memory, rl("1Gi", ""));
    // Even when the decision carries a larger limit: an unbounded container stays unbounded.
    let target = Allocation {
        request: 1073741824.0,
        limit: 2147483648.0,
    };
    let resized = resize_container(&p, "app", Resource::Memory, target).unwrap();
    assert_eq!(resized.memory, rl("1Gi", ""));
}

#[test]
fn limit_only_keeps_request_equal_to_limit() {
    let p = one(rl("", "1Gi"), rl("", ""));
    assert_eq!(
        p.container("app").unwrap().memory.allocation(),
        Some(Allocation::equal(1073741824.0))
    );
    let resized = to_request(&p, "app", Resource::Memory, "700Mi").unwrap();
    assert_eq!(resized.memory, rl("700Mi", "700Mi"));
}

#[test]
fn decided_limit_below_request_is_raised_to_it() {
    let p = one(rl("512Mi", "1Gi"), rl("", ""));
    let target = Allocation {
        request: 1073741824.0,
        limit: 536870912.0,
    };
    let resized = resize_container(&p, "app", Resource::Memory, target).unwrap();
    assert_eq!(resized.memory, rl("1Gi", "1Gi"));
}

#[test]
fn nonsense_targets_are_errors_not_panics() {
    let p = one(rl("512Mi", "1Gi"), rl("", ""));
    for bad in [f64::NAN, f64::INFINITY, -1.0] {
        let err =
            resize_container(&p, "app", Resource::Memory, Allocation::equal(bad)).unwrap_err();
        assert!(
            matches!(err, QosError::InvalidTarget { .. }),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn ratio_limit_scales_with_the_request_keeping_the_declared_ratio() {
    let declared = rl("512Mi", "1Gi");
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &declared, q("300Mi")),
        rl("300Mi", "600Mi")
    );
    // Ratio 4/3 rounds the limit up to a whole MiB.
    let declared = rl("768Mi", "1Gi");
    let scaled = scale_keeping_ratio(Resource::Memory, &declared, q("100Mi"));
    assert_eq!(scaled, rl("100Mi", "134Mi"));
    // A request in plain bytes gets a limit in whole bytes.
    let scaled = scale_keeping_ratio(Resource::Memory, &rl("1", "3"), q("1000001"));
    assert_eq!(scaled, rl("1000001", "3000003"));
    // Cpu rounds to whole millicores.
    assert_eq!(
        scale_keeping_ratio(Resource::Cpu, &rl("250m", "500m"), q("300m")),
        rl("300m", "600m")
    );
    assert_eq!(
        scale_keeping_ratio(Resource::Cpu, &rl("3", "4"), q("100m")),
        rl("100m", "134m")
    );
}

#[test]
fn ratio_no_declared_limit_means_no_limit_is_set() {
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &rl("512Mi", ""), q("1Gi")),
        rl("1Gi", "")
    );
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &rl("", ""), q("1Gi")),
        rl("1Gi", "")
    );
}

#[test]
fn ratio_limit_only_keeps_request_equal_to_limit() {
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &rl("", "1Gi"), q("700Mi")),
        rl("700Mi", "700Mi")
    );
}

#[test]
fn ratio_zero_request_with_a_limit_keeps_the_limit_but_never_below_the_request() {
    let declared = rl("0", "1Gi");
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &declared, q("300Mi")),
        rl("300Mi", "1Gi")
    );
    assert_eq!(
        scale_keeping_ratio(Resource::Memory, &declared, q("2Gi")),
        rl("2Gi", "2Gi")
    );
}

#[test]
fn ratio_huge_ratios_do_not_overflow() {
    let declared = RequestLimit::new(Some(Quantity::from_nanos(7, Format::DecimalSI)), opt("5Ei"));
    let scaled = scale_keeping_ratio(Resource::Memory, &declared, q("3Ei"));
    assert!(scaled.limit.unwrap() > q("3Ei"));
}
