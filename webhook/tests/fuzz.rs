//! Property test of `POST /mutate` over the real Router: arbitrary bytes, arbitrary JSON and
//! fixture reviews with arbitrary parts replaced always get a well-formed HTTP answer (200 with
//! an allowed AdmissionReview for a uid, or 400 with a message), never a panic or a 500.

mod support;

use std::sync::Arc;

use proptest::prelude::*;
use rightsize_webhook::app::App;
use serde_json::Value;
use support::{MapProfiles, app, fixture, post};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Checks one answer; returns the uid answered, if any.
fn check(app: &Arc<App>, rt: &tokio::runtime::Runtime, body: Vec<u8>) -> Option<String> {
    let reply = rt.block_on(post(app, body));
    match reply.status.as_u16() {
        200 => {
            let review: Value = serde_json::from_slice(&reply.body).expect("200 carries JSON");
            assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
            assert_eq!(review["kind"], "AdmissionReview");
            let r = &review["response"];
            assert_eq!(r["allowed"], true, "never a denial: {r}");
            let uid = r["uid"].as_str().expect("a uid").to_owned();
            assert!(!uid.is_empty());
            Some(uid)
        }
        400 => {
            assert!(reply.text().starts_with("rightsize: bad request: "));
            None
        }
        other => panic!("unexpected status {other}: {}", reply.text()),
    }
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("Pod"),
            Just("AdmissionReview"),
            Just("admission.k8s.io/v1"),
            Just("CREATE"),
            Just("uid-1"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("apiVersion".to_owned()),
                    Just("kind".to_owned()),
                    Just("request".to_owned()),
                    Just("uid".to_owned()),
                    Just("object".to_owned()),
                    Just("metadata".to_owned()),
                    Just("spec".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The paths of every value in `v` (object keys and array indexes).
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(k.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(i.to_string());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn replace_at(v: &mut Value, path: &[String], with: Value) {
    let pointer: String = path.iter().map(|p| format!("/{p}")).collect();
    if let Some(slot) = v.pointer_mut(&pointer) {
        *slot = with;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_get_a_well_formed_answer(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let (rt, app) = (runtime(), app(MapProfiles::default()));
        check(&app, &rt, body);
    }

    #[test]
    fn arbitrary_json_gets_a_well_formed_answer(v in json()) {
        let (rt, app) = (runtime(), app(MapProfiles::default()));
        check(&app, &rt, serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn a_review_with_any_part_replaced_gets_a_well_formed_answer(
        pick in any::<prop::sample::Index>(),
        with in json(),
        truncate in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let (rt, app) = (runtime(), app(MapProfiles::default()));
        let mut review: Value = serde_json::from_slice(&fixture("deployment_pod.json")).unwrap();
        let mut all = Vec::new();
        paths(&review, &mut Vec::new(), &mut all);
        let path = pick.get(&all).clone();
        replace_at(&mut review, &path, with);
        let mut body = serde_json::to_vec(&review).unwrap();
        if let Some(cut) = truncate {
            body.truncate(cut.index(body.len() + 1));
        }
        let answered = check(&app, &rt, body);
        // The uid is answered whenever it survived intact as a string.
        if let Some(uid) = answered {
            prop_assert!(!uid.is_empty());
        }
    }
}
