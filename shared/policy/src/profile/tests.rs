use super::codec::HEADER_LEN;
use super::*;

use crate::seed::MIB;

#[test]
fn codes_never_under_report_and_stay_within_a_tenth_of_a_percent() {
    for bytes in [0.0, 1.0, 1000.0, 100.0 * MIB, 3.3e9, 5.5e11, 2.0e15] {
        let back = decode(encode(bytes));
        assert!(back >= bytes, "{bytes} decoded as {back}");
        assert!(back <= bytes * 1.001 + 1.0, "{bytes} decoded as {back}");
    }
}

#[test]
fn hourly_maximum_is_kept_per_wall_clock_hour() {
    let mut p = UsageProfile::new();
    p.record(7200.0, 10.0 * MIB);
    p.record(7300.0, 30.0 * MIB);
    p.record(10_800.0, 5.0 * MIB);
    assert!((p.hour_peak(2).unwrap() / (30.0 * MIB) - 1.0).abs() < 1e-3);
    assert!((p.hour_peak(3).unwrap() / (5.0 * MIB) - 1.0).abs() < 1e-3);
    assert_eq!(p.hour_peak(4), None);
    assert_eq!(p.hours_observed(), 2);
}

#[test]
fn size_is_bounded_whatever_the_history_length() {
    let mut p = UsageProfile::new();
    for i in 0..(60 * 24 * 12) {
        p.record(f64::from(i) * 300.0, f64::from(i % 977) * MIB);
    }
    let bytes = p.to_bytes();
    assert_eq!(
        bytes.len(),
        HEADER_LEN + 2 * HISTORY_HOURS + HISTORY_HOURS / 2
    );
    assert_eq!(bytes.len(), 875);
    assert_eq!(p.hours_observed(), HISTORY_HOURS);
}

#[test]
fn old_hours_fall_out_of_the_window() {
    let mut p = UsageProfile::new();
    p.record(0.0, 50.0 * MIB);
    p.record(HOUR * HISTORY_HOURS as f64, 1.0 * MIB);
    assert_eq!(p.hour_peak(0), None);
    assert_eq!(p.hours_observed(), 1);
    // A sample older than the window is ignored rather than resurrecting it.
    p.record(0.0, 50.0 * MIB);
    assert_eq!(p.hours_observed(), 1);
}

#[test]
fn merge_of_two_replicas_equals_one_observer_of_both() {
    let (mut a, mut b, mut both) = (
        UsageProfile::new(),
        UsageProfile::new(),
        UsageProfile::new(),
    );
    for i in 0..500 {
        let t = f64::from(i) * 1800.0;
        let (pa, pb) = (f64::from(i % 13) * MIB, f64::from(i % 7) * 2.0 * MIB);
        a.record(t, pa);
        b.record(t + 60.0, pb);
        both.record(t, pa);
        both.record(t + 60.0, pb);
    }
    a.record_oom(1000.0);
    both.record_oom(1000.0);
    let mut ab = a.clone();
    ab.merge(&b);
    let mut ba = b.clone();
    ba.merge(&a);
    assert_eq!(ab, both);
    assert_eq!(ba, both);
    let mut again = ab.clone();
    again.merge(&b);
    assert_eq!(again, ab, "merge is idempotent");
}

#[test]
fn merge_with_a_stale_writer_keeps_the_newer_window() {
    let mut new = UsageProfile::new();
    new.record(HOUR * 1000.0, 8.0 * MIB);
    let mut stale = UsageProfile::new();
    stale.record(HOUR * 10.0, 99.0 * MIB);
    stale.record(HOUR * 900.0, 4.0 * MIB);
    new.merge(&stale);
    assert_eq!(new.hour_peak(10), None, "outside the window");
    assert!(new.hour_peak(900).is_some());
    assert!(new.hour_peak(1000).is_some());
}

#[test]
fn evidence_counts_replica_hours_and_merges_by_maximum() {
    let mut a = UsageProfile::new();
    for pod in 0..3 {
        for i in 0..4 {
            let t = f64::from(i) * HOUR + f64::from(pod);
            a.record(t, MIB);
            a.count_replica(t);
        }
    }
    assert_eq!(a.hours_observed(), 4);
    assert_eq!(a.replica_hours(), 12);
    let mut b = UsageProfile::new();
    b.record(0.0, MIB);
    b.count_replica(0.0);
    b.record(10.0 * HOUR, MIB);
    b.count_replica(10.0 * HOUR);
    a.merge(&b);
    assert_eq!(a.replica_hours(), 13, "max per hour, then the new hour");
    // Counting outside the window is ignored.
    a.count_replica(-1000.0 * HOUR);
    assert_eq!(a.replica_hours(), 13);
}

#[test]
fn samples_below_their_hours_peak_leave_the_profile_unchanged() {
    let mut p = UsageProfile::new();
    assert!(p.record(7200.0, 10.0 * MIB));
    let before = p.to_bytes();
    assert!(!p.record(7500.0, 5.0 * MIB));
    assert!(!p.record(10_799.0, 10.0 * MIB));
    assert_eq!(
        p.to_bytes(),
        before,
        "nothing for the history store to write"
    );
    assert_eq!(p.last_seen(), Some(7200));
    assert!(p.record(10_800.0, 1.0 * MIB), "a new hour is a change");
    assert_eq!(p.last_seen(), Some(10_800));
}

#[test]
fn replica_counts_saturate_and_round_trip_two_per_byte() {
    let mut p = UsageProfile::new();
    for hour in 0..3 {
        let t = f64::from(hour) * HOUR;
        p.record(t, MIB);
        for _ in 0..(hour * 10 + 1) {
            p.count_replica(t);
        }
    }
    // 1, 11 and 21 (saturated at 15) replicas.
    assert_eq!(p.replica_hours(), 1 + 11 + 15);
    let bytes = p.to_bytes();
    assert_eq!(
        bytes.len(),
        HEADER_LEN + 2 * 3 + 2,
        "three counts take two bytes"
    );
    assert_eq!(UsageProfile::from_bytes(&bytes).unwrap(), p);
}

#[test]
fn version_1_profiles_are_still_read_with_one_replica_per_hour() {
    let mut p = UsageProfile::new();
    p.record(0.0, MIB);
    p.record(HOUR, 2.0 * MIB);
    let v2 = p.to_bytes();
    // A version-1 encoding is the same without the trailing counts.
    let mut v1 = v2[..v2.len() - 1].to_vec();
    v1[0] = 1;
    let back = UsageProfile::from_bytes(&v1).unwrap();
    assert_eq!(back.hours_observed(), 2);
    assert_eq!(back.replica_hours(), 2);
    assert_eq!(back.hour_peak(1), p.hour_peak(1));
}

#[test]
fn encoding_round_trips_and_is_versioned() {
    let mut p = UsageProfile::new();
    for i in 0..40 {
        p.record(1.7e9 + f64::from(i) * 3600.0, f64::from(i + 1) * 3.0 * MIB);
        p.count_replica(1.7e9 + f64::from(i) * 3600.0);
    }
    p.record_oom(1.7e9 + 500.0);
    let bytes = p.to_bytes();
    assert_eq!(UsageProfile::from_bytes(&bytes).unwrap(), p);
    assert_eq!(
        UsageProfile::from_bytes(&UsageProfile::new().to_bytes()).unwrap(),
        UsageProfile::new()
    );

    let mut future = bytes.clone();
    future[0] = 9;
    assert_eq!(
        UsageProfile::from_bytes(&future),
        Err(ProfileDecodeError::UnknownVersion(9))
    );
    assert!(matches!(
        UsageProfile::from_bytes(&bytes[..bytes.len() - 1]),
        Err(ProfileDecodeError::Truncated { .. })
    ));
    assert!(matches!(
        UsageProfile::from_bytes(&bytes[..5]),
        Err(ProfileDecodeError::Truncated { .. })
    ));
    assert_eq!(
        UsageProfile::from_bytes(&[]),
        Err(ProfileDecodeError::Empty)
    );
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        UsageProfile::from_bytes(&long),
        Err(ProfileDecodeError::TrailingBytes(1))
    );
    let mut huge = bytes;
    huge[33] = 0xff;
    huge[34] = 0xff;
    assert_eq!(
        UsageProfile::from_bytes(&huge),
        Err(ProfileDecodeError::TooManySlots(65535))
    );
}

/// A profile with hourly peaks of `mib` MiB over `hours` hours, one replica each.
fn steady(hours: i64, mib: f64) -> UsageProfile {
    let mut p = UsageProfile::new();
    for h in 0..hours {
        let t = (h as f64) * HOUR + 60.0;
        p.record(t, mib * MIB);
        p.count_replica(t);
    }
    p
}

#[test]
fn equal_profiles_are_not_material_at_any_tolerance() {
    let p = steady(30, 100.0);
    for tolerance in [0.0, 0.1, 1.0, -1.0, f64::NAN] {
        assert!(!p.materially_differs(&p.clone(), tolerance), "{tolerance}");
    }
    assert!(!UsageProfile::new().materially_differs(&UsageProfile::new(), 0.1));
}

#[test]
fn a_first_sample_is_material_against_an_empty_stored_profile() {
    let p = steady(1, 100.0);
    assert!(p.materially_differs(&UsageProfile::new(), 0.1));
}

#[test]
fn a_newer_oom_kill_is_material_and_an_older_one_is_not() {
    let stored = steady(5, 100.0);
    let mut oom = stored.clone();
    oom.record_oom(4.0 * HOUR + 100.0);
    assert!(oom.materially_differs(&stored, 0.1));
    assert!(!stored.materially_differs(&oom, 0.1));
    // Even without any sample.
    let mut only_oom = UsageProfile::new();
    only_oom.record_oom(100.0);
    assert!(only_oom.materially_differs(&UsageProfile::new(), 0.1));
}

#[test]
fn a_completed_hour_is_material() {
    let stored = steady(5, 100.0);
    let mut next = stored.clone();
    // A lower peak in a new hour: the previous hour is final and must be persisted.
    next.record(5.0 * HOUR + 60.0, 10.0 * MIB);
    assert!(next.materially_differs(&stored, 0.1));
    assert!(
        next.materially_differs(&stored, 1e9),
        "whatever the tolerance"
    );
}

#[test]
fn an_older_hour_that_differs_is_material() {
    let stored = steady(5, 100.0);
    // Late data raising an older hour's peak, however slightly.
    let mut late = stored.clone();
    assert!(late.record(2.0 * HOUR + 60.0, 100.5 * MIB));
    assert!(late.materially_differs(&stored, 0.1));
    // A merge adding a replica to an older hour.
    let mut merged = stored.clone();
    merged.count_replica(HOUR + 60.0);
    assert!(merged.materially_differs(&stored, 0.1));
    // A merge filling an older hour that had no sample.
    let mut gap = UsageProfile::new();
    gap.record(60.0, MIB);
    gap.record(3.0 * HOUR + 60.0, MIB);
    let mut filled = gap.clone();
    filled.record(HOUR + 60.0, MIB);
    assert!(filled.materially_differs(&gap, 0.1));
}

#[test]
fn current_hour_growth_is_material_only_beyond_the_tolerance() {
    let stored = steady(5, 100.0);
    let now = 4.0 * HOUR + 1800.0;
    let mut within = stored.clone();
    assert!(within.record(now, 109.0 * MIB), "a real change");
    assert!(!within.materially_differs(&stored, 0.1));
    assert!(within.materially_differs(&stored, 0.0), "any growth at 0");
    assert!(within.materially_differs(&stored, 0.05));
    let mut beyond = stored.clone();
    beyond.record(now, 111.0 * MIB);
    assert!(beyond.materially_differs(&stored, 0.1));
    // More replicas counted in the current hour are not material on their own.
    let mut counted = stored.clone();
    counted.count_replica(now);
    assert_ne!(counted, stored);
    assert!(!counted.materially_differs(&stored, 0.1));
}
