//! Scenarios of the `rightsize` policy, driven through the same `SizingPolicy` calls the evaluator
//! and the controller make.
use rightsize_policy::profile::UsageProfile;
use rightsize_policy::rightsize::{Driver, RightsizeParams, RightsizePolicy, recommend};
use rightsize_policy::{Admission, Allocation, Observation, SizingPolicy};

use rightsize_policy::seed::MIB;
const GIB: f64 = 1024.0 * MIB;
const HOUR: f64 = 3600.0;
const WEEK: f64 = 168.0 * HOUR;

fn obs(pod: u64, t: f64, peak: f64, current: Allocation) -> Observation {
    Observation {
        pod,
        t,
        usage: peak,
        peak,
        duration: 300.0,
        oom: peak > current.limit,
        current,
        pod_start: 0.0,
    }
}

/// Feeds `hours` of constant usage every 5 minutes starting at `start`, without resizing.
fn feed(policy: &mut RightsizePolicy, start: f64, hours: usize, bytes: f64) {
    let big = Allocation::equal(1000.0 * GIB);
    for i in 0..hours * 12 {
        policy.observe(&obs(1, start + i as f64 * 300.0, bytes, big));
    }
}

fn sized(admission: Admission) -> Allocation {
    match admission {
        Admission::Sized(d) => d.allocation,
        Admission::Declared => panic!("expected a sized admission"),
    }
}

#[test]
fn a_workload_without_history_keeps_its_declared_size() {
    let mut p = RightsizePolicy::new(RightsizeParams::default());
    assert_eq!(p.admit(7, Allocation::equal(GIB), 0.0), Admission::Declared);
    assert_eq!(
        recommend(&UsageProfile::new(), &RightsizeParams::default(), 0.0),
        None
    );
}

#[test]
fn steady_usage_is_sized_tight_and_bursty_usage_gets_burst_headroom() {
    let params = RightsizeParams::default();
    let mut steady = RightsizePolicy::new(params);
    feed(&mut steady, 0.0, 14 * 24, GIB);
    let t = 14.0 * 24.0 * HOUR;
    let a = sized(steady.admit(2, Allocation::equal(8.0 * GIB), t));
    // No spread: only the 5 % margin over the peak (the stored code rounds up by < 0.05 %).
    assert!(a.limit > GIB * 1.05 && a.limit < GIB * 1.051, "{}", a.limit);
    assert_eq!(a.request, a.limit);

    // Every fourth hour at 2 GiB: the spread (1 GiB, x3) allows the whole power-law headroom.
    let mut bursty = RightsizePolicy::new(params);
    let big = Allocation::equal(1000.0 * GIB);
    for i in 0..(14 * 24 * 12) {
        let bytes = if (i / 12) % 4 == 0 { 2.0 * GIB } else { GIB };
        bursty.observe(&obs(1, f64::from(i) * 300.0, bytes, big));
    }
    let b = sized(bursty.admit(2, Allocation::equal(8.0 * GIB), t));
    let expected = 2.0 * GIB + params.burst_headroom_at_1gib * 2f64.powf(params.burst_exponent);
    assert!(
        (b.limit / expected - 1.0).abs() < 1e-3,
        "{} vs {expected}",
        b.limit
    );
}

#[test]
fn young_history_widens_the_band_not_the_target() {
    let mut young = RightsizePolicy::new(RightsizeParams::default());
    feed(&mut young, 0.0, 2, GIB);
    // Two hours: the band reaches 1 + 0.05 * 24 / 2 = 1.6 times the target (about 1.05 GiB), so
    // a pod declared at 1.5 GiB keeps its size, and one declared at 100 GiB gets the target, not
    // an inflated estimate.
    let t = 2.0 * HOUR;
    assert_eq!(
        young.admit(1, Allocation::equal(1.5 * GIB), t),
        Admission::Declared
    );
    let huge = sized(young.admit(2, Allocation::equal(100.0 * GIB), t)).limit;
    assert!(huge < 1.06 * GIB, "{huge}");
    // Two weeks: the band is 0.4 % wide, and the 1.5 GiB pod is trimmed to the target.
    let mut old = RightsizePolicy::new(RightsizeParams::default());
    feed(&mut old, 0.0, 14 * 24, GIB);
    let o = sized(old.admit(1, Allocation::equal(1.5 * GIB), 14.0 * 24.0 * HOUR)).limit;
    assert!(o < 1.06 * GIB, "{o}");
}

#[test]
fn oom_kill_bumps_limit_before_next_sample() {
    let mut p = RightsizePolicy::new(RightsizeParams::default());
    feed(&mut p, 0.0, 48, 500.0 * MIB);
    let current = Allocation::equal(700.0 * MIB);
    let d = p
        .observe(&obs(1, 48.0 * HOUR, 900.0 * MIB, current))
        .expect("an OOM kill resizes at once");
    assert!(
        d.allocation.limit >= 2.5 * 900.0 * MIB,
        "{}",
        d.allocation.limit
    );
    assert!(d.reason.contains("OOM"));
    assert_eq!(p.profile().last_oom(), Some((48.0 * HOUR) as i64));
}

#[test]
fn usage_near_the_limit_grows_it_at_once() {
    let mut p = RightsizePolicy::new(RightsizeParams::default());
    feed(&mut p, 0.0, 48, GIB);
    let current = sized(p.admit(2, Allocation::equal(GIB), 48.0 * HOUR));
    let near = current.limit * 0.98;
    let d = p
        .observe(&obs(2, 48.0 * HOUR + 300.0, near, current))
        .expect("a peak at 98 % of the limit grows it");
    assert!(d.allocation.limit > current.limit);
}

#[test]
fn flat_usage_pressing_on_the_limit_in_the_first_hour_is_grown_by_a_wide_step() {
    // A new workload at 95 % of its limit: no spread seen yet, so the target is only the 5 %
    // margin above the peak, which is still inside the limit. The growth lands in the young
    // history's wide band instead, far enough that a ramp is not chased 5 % at a time.
    let params = RightsizeParams::default();
    let mut p = RightsizePolicy::new(params);
    let limit = 200.0 * MIB;
    let current = Allocation::equal(limit);
    let mut grown = None;
    for i in 0..12 {
        if let Some(d) = p.observe(&obs(1, f64::from(i) * 300.0, 0.95 * limit, current)) {
            grown = Some(d);
            break;
        }
    }
    let d = grown.expect("a flat peak at 95 % of the limit grows it");
    assert!(
        d.allocation.limit >= 1.5 * limit,
        "{} MiB",
        d.allocation.limit / MIB
    );
    assert!(d.reason.contains("near the limit"), "{}", d.reason);
}

#[test]
fn with_a_day_of_history_a_peak_near_the_limit_grows_it_only_a_few_percent() {
    let mut p = RightsizePolicy::new(RightsizeParams::default());
    feed(&mut p, 0.0, 48, GIB);
    let current = Allocation::equal(1.04 * GIB);
    let d = p
        .observe(&obs(1, 48.0 * HOUR, GIB, current))
        .expect("a peak at 96 % of the limit grows it");
    let grown = d.allocation.limit / current.limit;
    assert!(grown > 1.0 && grown < 1.1, "x{grown}");
}

#[test]
fn decrease_waits_for_hysteresis_and_the_interval() {
    let params = RightsizeParams::default();
    let mut p = RightsizePolicy::new(params);
    feed(&mut p, 0.0, 14 * 24, 200.0 * MIB);
    let t = 14.0 * 24.0 * HOUR;
    let start = t;
    let current = Allocation::equal(4.0 * GIB);
    let mut o = obs(3, t, 200.0 * MIB, current);
    o.pod_start = start;
    // The pod starts (admission records when its allocation last changed).
    let _ = p.admit(3, current, start);
    // Within the interval since the pod started: no decrease yet.
    assert_eq!(p.observe(&o), None);
    o.t = start + params.down_interval_s;
    let d = p
        .observe(&o)
        .expect("well below the limit after the interval");
    assert!(d.allocation.limit < GIB);
    // Already close to the target: hysteresis keeps it.
    let mut again = o;
    again.t += 2.0 * params.down_interval_s;
    again.current = Allocation::equal(d.allocation.limit * 1.1);
    assert_eq!(p.observe(&again), None);
}

#[test]
fn weekly_burst_raises_the_limit_an_hour_ahead() {
    let params = RightsizeParams::default();
    let mut profile = UsageProfile::new();
    let start = 1000.0 * WEEK; // aligned on an hour
    for i in 0..(14 * 24 * 12) {
        let t = start + f64::from(i) * 300.0;
        let hour_of_week = ((t - start) / HOUR) as i64 % 168;
        let bytes = if hour_of_week == 100 { 20.0 * GIB } else { GIB };
        profile.record(t, bytes);
    }
    let now = start + 2.0 * WEEK;
    let quiet = recommend(&profile, &params, now + 50.0 * HOUR).unwrap();
    let before = recommend(&profile, &params, now + 99.0 * HOUR).unwrap();
    assert!(quiet.bytes < 2.0 * GIB, "{quiet:?}");
    assert_eq!(before.driver, Driver::Weekly);
    assert!(before.bytes > 20.0 * GIB, "{before:?}");
}

#[test]
fn one_replicas_burst_raises_the_others() {
    let mut p = RightsizePolicy::new(RightsizeParams::default());
    feed(&mut p, 0.0, 48, GIB);
    let t = 48.0 * HOUR;
    let a = sized(p.admit(10, Allocation::equal(GIB), t));
    let b = sized(p.admit(11, Allocation::equal(GIB), t));
    // Replica 10 bursts to 3 GiB (and is OOM-killed); replica 11 is still quiet.
    p.observe(&obs(10, t + 300.0, 3.0 * GIB, a));
    let d = p
        .observe(&obs(11, t + 310.0, GIB, b))
        .expect("the shared profile raises the quiet replica too");
    assert!(d.allocation.limit > 3.0 * GIB);
}

#[test]
fn burstable_pods_keep_their_request_to_limit_ratio() {
    let mut p = RightsizePolicy::new(RightsizeParams::default());
    feed(&mut p, 0.0, 48, GIB);
    let current = Allocation {
        request: 512.0 * MIB,
        limit: GIB,
    };
    let d = p
        .observe(&obs(4, 48.0 * HOUR, 2.0 * GIB, current))
        .expect("OOM");
    let ratio = d.allocation.limit / d.allocation.request;
    assert!((ratio - 2.0).abs() < 1e-12, "{ratio}");
    // Admission keeps the declared ratio too.
    let admitted = sized(p.admit(5, current, 48.0 * HOUR));
    let ratio = admitted.limit / admitted.request;
    assert!((ratio - 2.0).abs() < 1e-12, "{ratio}");
}

#[test]
fn a_deleted_pod_leaves_no_state_but_what_it_taught_the_profile() {
    let mut p = RightsizePolicy::new(RightsizeParams::default());
    feed(&mut p, 0.0, 48, GIB);
    let t = 48.0 * HOUR;
    let a = sized(p.admit(20, Allocation::equal(GIB), t));
    sized(p.admit(21, Allocation::equal(GIB), t));
    // Pod 20 is OOM-killed at 3 GiB: a resize, which restarts its clock.
    p.observe(&obs(20, t + 300.0, 3.0 * GIB, a)).expect("OOM");
    // Pod 1 (the one `feed` observed, far oversized) was resized down: it has a clock too.
    assert_eq!(p.tracked_pods(), 3);
    p.pod_gone(20);
    assert_eq!(p.tracked_pods(), 2);
    p.pod_gone(21);
    p.pod_gone(1);
    p.pod_gone(99); // never seen: nothing to drop
    assert_eq!(p.tracked_pods(), 0);
    // The burst the gone pod showed still sizes its successor.
    let next = sized(p.admit(22, Allocation::equal(GIB), t + 600.0));
    assert!(next.limit > 3.0 * GIB, "{next:?}");
    assert_eq!(p.tracked_pods(), 1);
}

#[test]
fn ten_replicas_watched_for_an_hour_are_still_one_hour_of_history() {
    let params = RightsizeParams::default();
    let (mut one, mut ten) = (RightsizePolicy::new(params), RightsizePolicy::new(params));
    let big = Allocation::equal(1000.0 * GIB);
    for i in 0..12 {
        let t = f64::from(i) * 300.0;
        one.observe(&obs(0, t, GIB, big));
        for pod in 0..10 {
            ten.observe(&obs(pod, t, GIB, big));
        }
    }
    assert_eq!(ten.profile().replica_hours(), 10);
    let a = recommend(one.profile(), &params, 3000.0).unwrap();
    let b = recommend(ten.profile(), &params, 3000.0).unwrap();
    // Same band: the replicas have seen one hour of the workload's life between them.
    assert_eq!(a, b);
    assert!(a.upper > 2.0 * a.bytes, "{a:?}");
}

#[test]
fn a_burst_that_did_not_recur_fades_with_a_half_life_unless_it_oom_killed() {
    // A day at 8 GiB on day 3 (24 of 312 hours, more than the 3 % the P97 ignores), then ten
    // quiet days at 1 GiB.
    let mut profile = UsageProfile::new();
    for h in 0..13 * 24 {
        let peak = if (72..96).contains(&h) {
            8.0 * GIB
        } else {
            GIB
        };
        profile.record(h as f64 * HOUR, peak);
    }
    let t = 13.0 * 24.0 * HOUR - 1.0;
    let held = RightsizeParams::default();
    assert_eq!(held.quantile_half_life_hours, 0.0, "off by default");
    let fading = RightsizeParams {
        quantile_half_life_hours: 24.0,
        ..held
    };
    let target = |profile: &UsageProfile, params: &RightsizeParams| {
        recommend(profile, params, t).expect("history").bytes
    };
    assert!(target(&profile, &held) > 8.0 * GIB);
    // Ten half-lives later the burst day weighs a thousandth of a quiet day.
    let faded = target(&profile, &fading);
    assert!(faded < 1.5 * GIB, "{}", faded / GIB);
    // A kill during the burst: the burst keeps its weight while the kill is in the history.
    profile.record_oom(80.0 * HOUR);
    assert!(target(&profile, &fading) > 8.0 * GIB);
}
