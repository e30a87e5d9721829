//! Unit tests of api/protobuf: protobuf request bodies.

use super::*;

/// `kubectl create namespace foo` (kubectl 1.33), as captured with `-v=8`.
const CREATE_NAMESPACE: &[u8] = b"k8s\x00\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x1b\x0a\x13\x0a\x03foo\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x12\x00\x1a\x02\x0a\x00\x1a\x00\x22\x00";

/// `kubectl create configmap cm1 --from-literal=a=b --from-literal=c=d`, as captured.
const CREATE_CONFIGMAP: &[u8] = b"k8s\x00\x0a\x0f\x0a\x02v1\x12\x09ConfigMap\x12\x25\x0a\x13\x0a\x03cm1\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x12\x06\x0a\x01a\x12\x01b\x12\x06\x0a\x01c\x12\x01d\x1a\x00\x22\x00";

#[test]
fn kubectl_create_namespace_decodes() {
    assert!(is_protobuf("", CREATE_NAMESPACE));
    let v = decode(CREATE_NAMESPACE).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "foo"}})
    );
}

#[test]
fn kubectl_create_configmap_decodes() {
    let v = decode(CREATE_CONFIGMAP).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm1"},
            "data": {"a": "b", "c": "d"}})
    );
}

fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let u = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: None,
        content_type: None,
    };
    [MAGIC, &u.encode_to_vec()].concat()
}

#[test]
fn metadata_binary_data_and_delete_options_convert() {
    let meta = ObjectMeta {
        generate_name: Some("cm-".into()),
        labels: BTreeMap::from([("app".into(), "x".into())]),
        owner_references: vec![OwnerReference {
            kind: Some("Deployment".into()),
            name: Some("d".into()),
            uid: Some("u1".into()),
            api_version: Some("apps/v1".into()),
            controller: Some(true),
            block_owner_deletion: None,
        }],
        finalizers: vec!["f".into()],
        ..Default::default()
    };
    let cm = ConfigMap {
        metadata: Some(meta.encode_to_vec()),
        binary_data: BTreeMap::from([("b".into(), vec![0xff, 0x00])]),
        immutable: Some(true),
        ..Default::default()
    };
    let v = decode(&envelope("v1", "ConfigMap", cm.encode_to_vec())).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "immutable": true,
            "binaryData": {"b": "/wA="},
            "metadata": {"generateName": "cm-", "labels": {"app": "x"}, "finalizers": ["f"],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "d",
                    "uid": "u1", "controller": true}]}})
    );
    let d = DeleteOptions {
        propagation_policy: Some("Foreground".into()),
        grace_period_seconds: Some(0),
        ..Default::default()
    };
    let v = decode(&envelope("v1", "DeleteOptions", d.encode_to_vec())).unwrap();
    assert_eq!(v["propagationPolicy"], "Foreground");
    assert_eq!(v["gracePeriodSeconds"], 0);
}

#[test]
fn secret_decodes_with_data_as_base64_and_string_data_kept_for_conversion() {
    let sec = Secret {
        metadata: Some(
            ObjectMeta {
                name: Some("tls".into()),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        data: BTreeMap::from([("tls.key".into(), vec![0xff, 0x00])]),
        r#type: Some("kubernetes.io/tls".into()),
        string_data: BTreeMap::from([("tls.crt".into(), "pem".into())]),
        immutable: None,
    };
    let v = decode(&envelope("v1", "Secret", sec.encode_to_vec())).unwrap();
    assert_eq!(
        v,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"},
            "type": "kubernetes.io/tls", "data": {"tls.key": "/wA="},
            "stringData": {"tls.crt": "pem"}})
    );
}

#[test]
fn unknown_kinds_fields_and_garbage_are_refused() {
    let e = decode(&envelope("apps/v1", "Deployment", vec![])).unwrap_err();
    assert_eq!(e.code, 415);
    assert!(e.message.contains("apps/v1 Deployment"), "{}", e.message);
    // Field 9 is not a ConfigMap field: refused, not dropped.
    let e = decode(&envelope("v1", "ConfigMap", vec![0x4a, 0x00])).unwrap_err();
    assert_eq!((e.code, e.reason), (400, "BadRequest"));
    assert!(e.message.contains("field 9 of ConfigMap"), "{}", e.message);
    let e = decode(b"k8s\x00\x0a\xff").unwrap_err();
    assert_eq!(e.code, 400);
    let e = decode(&CREATE_CONFIGMAP[..30]).unwrap_err();
    assert_eq!(e.code, 400);
}
