//! Table columns and cells of the issue-12 kinds as kubectl prints them (kubernetes
//! `pkg/printers/internalversion/printers.go`: `statefulSetColumnDefinitions`,
//! `daemonSetColumnDefinitions`, `jobColumnDefinitions`, `cronJobColumnDefinitions`,
//! `resourceQuotaColumnDefinitions`, `limitRangeColumnDefinitions`,
//! `podDisruptionBudgetColumnDefinitions`, `controllerRevisionColumnDefinitions`).

use serde_json::{Value, json};

use super::table::{age, col};
use crate::resources::ResourceDef;
use crate::util;

/// Column definitions, or `None` for kinds not printed here.
pub fn columns(def: &ResourceDef) -> Option<Vec<Value>> {
    let names: &[(&str, &str)] = match (def.group, def.plural) {
        ("apps", "statefulsets") => &[("Name", "string"), ("Ready", "string"), ("Age", "string")],
        ("apps", "daemonsets") => &[
            ("Name", "string"),
            ("Desired", "integer"),
            ("Current", "integer"),
            ("Ready", "integer"),
            ("Up-to-date", "integer"),
            ("Available", "integer"),
            ("Node Selector", "string"),
            ("Age", "string"),
        ],
        ("apps", "controllerrevisions") => &[
            ("Name", "string"),
            ("Controller", "string"),
            ("Revision", "integer"),
            ("Age", "string"),
        ],
        ("batch", "jobs") => &[
            ("Name", "string"),
            ("Status", "string"),
            ("Completions", "string"),
            ("Duration", "string"),
            ("Age", "string"),
        ],
        ("batch", "cronjobs") => &[
            ("Name", "string"),
            ("Schedule", "string"),
            ("Timezone", "string"),
            ("Suspend", "boolean"),
            ("Active", "integer"),
            ("Last Schedule", "string"),
            ("Age", "string"),
        ],
        ("", "resourcequotas") => &[
            ("Name", "string"),
            ("Age", "string"),
            ("Request", "string"),
            ("Limit", "string"),
        ],
        ("", "limitranges") => &[("Name", "string"), ("Created At", "date")],
        ("policy", "poddisruptionbudgets") => &[
            ("Name", "string"),
            ("Min Available", "string"),
            ("Max Unavailable", "string"),
            ("Allowed Disruptions", "integer"),
            ("Age", "string"),
        ],
        _ => return None,
    };
    Some(names.iter().map(|(n, t)| col(n, t)).collect())
}

/// `translateTimestampSince` of an RFC 3339 time, `<none>` when absent.
fn since(t: Option<&str>) -> String {
    match t {
        Some(t) if !t.is_empty() => age(&json!({"metadata": {"creationTimestamp": t}})),
        _ => "<none>".into(),
    }
}

fn int_or_na(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(n) if n.is_number() => n.to_string(),
        _ => "N/A".into(),
    }
}

/// `used/hard` pairs of a quota, split into requests and limits as `printResourceQuota` does.
fn quota_cells(o: &Value) -> (String, String) {
    let (mut req, mut lim) = (Vec::new(), Vec::new());
    for (k, hard) in o
        .pointer("/status/hard")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let used = o
            .pointer(&format!("/status/used/{}", k.replace('/', "~1")))
            .and_then(Value::as_str)
            .unwrap_or("0");
        let cell = format!("{k}: {used}/{}", hard.as_str().unwrap_or(""));
        if k.starts_with("limits") {
            lim.push(cell)
        } else {
            req.push(cell)
        }
    }
    (req.join(", "), lim.join(", "))
}

/// Row cells, or `None` for kinds not printed here.
pub fn cells(def: &ResourceDef, o: &Value) -> Option<Vec<Value>> {
    let name = json!(util::str_at(o, "metadata.name"));
    let int = |p: &str| o.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let has = |t: &str| {
        o.pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == t && c["status"] == "True"))
    };
    Some(match (def.group, def.plural) {
        ("apps", "statefulsets") => vec![
            name,
            json!(format!(
                "{}/{}",
                int("/status/readyReplicas"),
                int("/spec/replicas")
            )),
            json!(age(o)),
        ],
        ("apps", "daemonsets") => {
            let sel = Some(util::labels_string(
                o.pointer("/spec/template/spec/nodeSelector"),
            ))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "<none>".into());
            vec![
                name,
                json!(int("/status/desiredNumberScheduled")),
                json!(int("/status/currentNumberScheduled")),
                json!(int("/status/numberReady")),
                json!(int("/status/updatedNumberScheduled")),
                json!(int("/status/numberAvailable")),
                json!(sel),
                json!(age(o)),
            ]
        }
        ("apps", "controllerrevisions") => {
            let owner = o
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .and_then(|r| r.iter().find(|r| r["controller"] == true));
            let ctl = owner.map_or("<none>".to_string(), |r| {
                let group = util::str_at(r, "apiVersion")
                    .split_once('/')
                    .map_or("", |(g, _)| g);
                format!(
                    "{}.{group}/{}",
                    util::str_at(r, "kind").to_lowercase(),
                    util::str_at(r, "name")
                )
            });
            vec![name, json!(ctl), json!(int("/revision")), json!(age(o))]
        }
        ("batch", "jobs") => {
            let status = if has("Complete") {
                "Complete"
            } else if has("Failed") {
                "Failed"
            } else if o.pointer("/spec/suspend") == Some(&json!(true)) {
                "Suspended"
            } else {
                "Running"
            };
            let completions = o
                .pointer("/spec/completions")
                .and_then(Value::as_i64)
                .map_or_else(
                    || {
                        format!(
                            "{}/1 of {}",
                            int("/status/succeeded"),
                            int("/spec/parallelism")
                        )
                    },
                    |c| format!("{}/{c}", int("/status/succeeded")),
                );
            let start = o
                .pointer("/status/startTime")
                .and_then(Value::as_str)
                .and_then(util::parse_rfc3339);
            let end = o
                .pointer("/status/completionTime")
                .and_then(Value::as_str)
                .and_then(util::parse_rfc3339)
                .unwrap_or_else(util::unix_now);
            let duration = start.map_or(String::new(), |s| format!("{}s", (end - s).max(0)));
            vec![
                name,
                json!(status),
                json!(completions),
                json!(duration),
                json!(age(o)),
            ]
        }
        ("batch", "cronjobs") => vec![
            name,
            json!(util::str_at(o, "spec.schedule")),
            json!(
                o.pointer("/spec/timeZone")
                    .and_then(Value::as_str)
                    .unwrap_or("<none>")
            ),
            json!(o.pointer("/spec/suspend") == Some(&json!(true))),
            json!(
                o.pointer("/status/active")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            ),
            json!(since(
                o.pointer("/status/lastScheduleTime")
                    .and_then(Value::as_str)
            )),
            json!(age(o)),
        ],
        ("", "resourcequotas") => {
            let (req, lim) = quota_cells(o);
            vec![name, json!(age(o)), json!(req), json!(lim)]
        }
        ("", "limitranges") => vec![name, json!(util::str_at(o, "metadata.creationTimestamp"))],
        ("policy", "poddisruptionbudgets") => vec![
            name,
            json!(int_or_na(o.pointer("/spec/minAvailable"))),
            json!(int_or_na(o.pointer("/spec/maxUnavailable"))),
            json!(int("/status/disruptionsAllowed")),
            json!(age(o)),
        ],
        _ => return None,
    })
}
