//! Unit tests of api: request routing and content negotiation.

use super::request::{check_accept, parse_path, parse_query};

#[test]
fn paths_parse_like_the_api_server() {
    let t = parse_path("", "v1", "namespaces/a/pods/p/resize").unwrap();
    assert_eq!(
        (
            t.def.plural,
            t.ns.as_deref(),
            t.name.as_deref(),
            t.sub.as_deref()
        ),
        ("pods", Some("a"), Some("p"), Some("resize"))
    );
    let t = parse_path("", "v1", "namespaces/a").unwrap();
    assert_eq!((t.def.plural, t.name.as_deref()), ("namespaces", Some("a")));
    assert!(parse_path("", "v1", "widgets").is_err());
    let q = parse_query(Some("labelSelector=a%3Db%2Cc+d&watch"));
    assert_eq!(q["labelSelector"], "a=b,c d");
    assert_eq!(q["watch"], "");
}

#[test]
fn only_clients_that_read_json_are_answered() {
    for ok in [
        "",
        "application/json",
        "application/vnd.kubernetes.protobuf,application/json",
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
        "*/*",
        "application/*;q=0.5",
    ] {
        assert!(check_accept(ok).is_ok(), "{ok}");
    }
    let e = check_accept("application/vnd.kubernetes.protobuf").unwrap_err();
    assert_eq!((e.code, e.reason), (406, "NotAcceptable"));
}
