//! The state machine step by step, with an injected clock: each test builds the Secret a run
//! would write and reads it back as the next run would.

use std::time::{Duration, SystemTime};

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;

use super::*;
use crate::spec::days;
use crate::state::{CA_CRT, CA_KEY, TLS_KEY, read_state, secret_object};

fn spec() -> CertSpec {
    let mut s = CertSpec::new(
        "rightsize-webhook",
        "rightsize-system",
        "rightsize-webhook-tls",
        "rightsize",
    );
    s.ca_validity = days(400);
    s.serving_validity = days(100);
    s
}

fn t0() -> SystemTime {
    SystemTime::now()
}

/// Run one step at `now`: plan, execute, and return the Secret the run writes (or the input).
fn step(secret: Option<&Secret>, published: bool, now: SystemTime) -> (Plan, Option<Secret>) {
    let state = read_state(secret, &spec(), now);
    let plan = plan(&state, published, &spec(), now);
    let written = execute(&plan, &state, &spec(), now)
        .unwrap()
        .map(|c| secret_object(&spec(), &c, now));
    (plan, written.or_else(|| secret.cloned()))
}

fn usable(secret: &Secret, now: SystemTime) -> Material {
    match read_state(Some(secret), &spec(), now) {
        CertState::Usable(m) => *m,
        other => panic!("expected a usable Secret, got {other:?}"),
    }
}

fn subjects(m: &Material) -> Vec<String> {
    m.bundle.iter().map(|c| c.subject.clone()).collect()
}

fn created(now: SystemTime) -> Secret {
    let (plan, secret) = step(None, false, now);
    assert!(matches!(plan, Plan::Create { .. }), "{plan:?}");
    secret.unwrap()
}

#[test]
fn missing_secret_is_created_then_kept() {
    let now = t0();
    let secret = created(now);
    let m = usable(&secret, now);
    assert_eq!(m.bundle.len(), 1);
    assert_eq!(m.serving.as_ref().unwrap().issuer, 0);
    let (plan, _) = step(Some(&secret), true, now + Duration::from_secs(60));
    assert_eq!(plan, Plan::Keep);
    // Still kept just outside the renewal window of the serving certificate (100 - 30 days).
    let (plan, _) = step(Some(&secret), true, now + days(69));
    assert_eq!(plan, Plan::Keep);
}

#[test]
fn expiring_serving_certificate_is_reissued_by_the_same_ca() {
    let now = t0();
    let secret = created(now);
    let later = now + days(71);
    let (plan, renewed) = step(Some(&secret), true, later);
    assert!(matches!(plan, Plan::IssueServing { .. }), "{plan:?}");
    let (before, after) = (
        usable(&secret, later),
        usable(renewed.as_ref().unwrap(), later),
    );
    assert_eq!(before.bundle, after.bundle, "the bundle does not change");
    let (old, new) = (before.serving.unwrap(), after.serving.unwrap());
    assert_ne!(old.info.der, new.info.der);
    assert!(new.info.valid_beyond(later, days(99)));
}

#[test]
fn expiring_ca_rotates_in_three_runs_without_an_untrusted_moment() {
    let now = t0();
    let s0 = created(now);
    let ca1 = usable(&s0, now).current_ca().clone();
    // Keep the serving certificate fresh until the CA nears its end (400 - 30 days).
    let t1 = now + days(371);
    let s0 = step(Some(&s0), true, now + days(300)).1.unwrap();
    // Step 1: CA2 joins the bundle, the serving certificate stays on CA1.
    let (plan, s1) = step(Some(&s0), true, t1);
    assert_eq!(plan, Plan::AddCa);
    let s1 = s1.unwrap();
    let m1 = usable(&s1, t1);
    assert_eq!(m1.bundle.len(), 2);
    assert_eq!(m1.bundle[0], ca1);
    assert_eq!(m1.current, 1, "the new CA signs from now on");
    assert_eq!(
        m1.serving.as_ref().unwrap().issuer,
        0,
        "still served from CA1"
    );
    assert_eq!(
        s1.data.as_ref().unwrap()[TLS_KEY],
        s0.data.as_ref().unwrap()[TLS_KEY]
    );

    // Not before the caBundle carries CA2, and not before it settled.
    let (plan, _) = step(Some(&s1), false, t1 + days(1));
    assert!(matches!(plan, Plan::Wait { until: None, .. }), "{plan:?}");
    let (plan, _) = step(Some(&s1), true, t1 + Duration::from_secs(60));
    assert_eq!(
        plan,
        Plan::Wait {
            reason: "the new CA bundle is settling".into(),
            until: Some(usable(&s1, t1).last_change.unwrap() + spec().settle),
        }
    );

    // Step 2: the serving certificate moves to CA2; both CAs stay trusted.
    let t2 = t1 + Duration::from_secs(11 * 60);
    let (plan, s2) = step(Some(&s1), true, t2);
    assert_eq!(plan, Plan::SwitchServing);
    let m2 = usable(s2.as_ref().unwrap(), t2);
    assert_eq!(subjects(&m2), subjects(&m1));
    assert_eq!(m2.serving.as_ref().unwrap().issuer, 1);
    let s2 = s2.unwrap();

    let (plan, _) = step(Some(&s2), true, t2 + Duration::from_secs(60));
    assert!(
        matches!(plan, Plan::Wait { until: Some(_), .. }),
        "{plan:?}"
    );

    // Step 3: CA1 leaves the bundle.
    let t3 = t2 + Duration::from_secs(11 * 60);
    let (plan, s3) = step(Some(&s2), true, t3);
    assert_eq!(plan, Plan::DropOldCas);
    let m3 = usable(s3.as_ref().unwrap(), t3);
    assert_eq!(m3.bundle, vec![m2.bundle[1].clone()]);
    assert_eq!(m3.serving.as_ref().unwrap().issuer, 0);
    let (plan, _) = step(s3.as_ref(), true, t3 + days(1));
    assert_eq!(plan, Plan::Keep);
}

fn corrupt(secret: &Secret, key: &str, value: &[u8]) -> Secret {
    let mut s = secret.clone();
    s.data
        .as_mut()
        .unwrap()
        .insert(key.into(), ByteString(value.to_vec()));
    s
}

#[test]
fn serving_key_not_matching_its_certificate_is_reissued() {
    let now = t0();
    let a = created(now);
    let b = created(now);
    let mixed = corrupt(&a, TLS_KEY, &b.data.as_ref().unwrap()[TLS_KEY].0);
    let (plan, fixed) = step(Some(&mixed), true, now);
    assert_eq!(
        plan,
        Plan::IssueServing {
            reason: "tls.key does not match tls.crt".into()
        }
    );
    assert!(usable(&fixed.unwrap(), now).serving.is_ok());
}

#[test]
fn unusable_ca_is_replaced_keeping_the_old_ca_trusted() {
    let now = t0();
    let s = created(now);
    let old_ca = usable(&s, now).current_ca().clone();
    let broken = corrupt(
        &s,
        CA_KEY,
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let (plan, fixed) = step(Some(&broken), true, now);
    assert!(
        matches!(&plan, Plan::Create { reason } if reason.starts_with("ca.key")),
        "{plan:?}"
    );
    let m = usable(&fixed.unwrap(), now);
    assert_eq!(m.bundle.len(), 2);
    assert_eq!(
        m.bundle[0], old_ca,
        "the CA of the pair still served stays trusted"
    );
    assert_eq!(m.serving.as_ref().unwrap().issuer, 1);

    let garbage = corrupt(&s, CA_CRT, b"not pem at all");
    let (plan, fixed) = step(Some(&garbage), true, now);
    assert!(
        matches!(&plan, Plan::Create { reason } if reason.contains("no PEM")),
        "{plan:?}"
    );
    assert_eq!(usable(&fixed.unwrap(), now).bundle.len(), 1);
}

#[test]
fn wrong_secret_type_is_unusable_and_keeps_its_valid_cas() {
    let now = t0();
    let mut s = created(now);
    s.type_ = Some("Opaque".into());
    match read_state(Some(&s), &spec(), now) {
        CertState::Unusable {
            wrong_type,
            keep,
            reason,
        } => {
            assert!(wrong_type);
            assert_eq!(keep.len(), 1);
            assert!(reason.contains("Opaque"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn expired_ca_starts_over() {
    let now = t0();
    let s = created(now);
    let (plan, fixed) = step(Some(&s), true, now + days(401));
    assert!(matches!(plan, Plan::Create { .. }), "{plan:?}");
    let m = usable(&fixed.unwrap(), now + days(401));
    assert_eq!(m.bundle.len(), 1, "an expired CA is not kept");
}
