//! The cells of the real server's printers for the kinds whose columns need more than a field
//! copy: pods (STATUS from the container states, RESTARTS with "(Xs ago)"), nodes (STATUS from
//! the Ready condition, ROLES from the role labels) and events (LAST SEEN, OBJECT). Written from
//! kubernetes `pkg/printers/internalversion/printers.go` (`printPod`, `printNode`,
//! `printEvent`) and apimachinery `util/duration.HumanDuration`. Cells are always the wide set:
//! the server prints wide and kubectl hides the priority-1 columns unless `-o wide`.

use serde_json::{Value, json};

use crate::util;

/// `duration.HumanDuration` of a number of seconds.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    if secs < 0 {
        return "0s".into();
    }
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// `translateTimestampSince`: "<unknown>" for a missing time.
pub fn since(timestamp: &str) -> String {
    match util::parse_rfc3339(timestamp) {
        Some(t) => human_duration(util::unix_now() - t),
        None => "<unknown>".into(),
    }
}

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

fn or_none(v: &str) -> &str {
    if v.is_empty() { "<none>" } else { v }
}

/// STATUS of a container status's current state, if it decides the pod's (`printPod`).
fn container_reason(st: &Value) -> Option<String> {
    let waiting = s(st, "/state/waiting/reason");
    if !waiting.is_empty() {
        return Some(waiting.to_string());
    }
    let term = st.pointer("/state/terminated")?;
    let reason = s(term, "/reason");
    if !reason.is_empty() {
        return Some(reason.to_string());
    }
    let signal = term["signal"].as_i64().unwrap_or(0);
    Some(if signal != 0 {
        format!("Signal:{signal}")
    } else {
        format!("ExitCode:{}", term["exitCode"].as_i64().unwrap_or(0))
    })
}

/// Pod cells: Name, Ready, Status, Restarts, Age, IP, Node, Nominated Node, Readiness Gates.
/// Init containers are taken into account as `printPod` does for the common cases (a failed or
/// waiting init container shows `Init:<reason>`, a pending one `Init:N/M`; started sidecars
/// count as containers). RESTARTS counts the init containers' restarts while the pod
/// initializes, then the sidecars' and the app containers' (kubectl 1.33 `printPod`).
pub fn pod(o: &Value) -> Vec<Value> {
    let empty = Vec::new();
    let arr = |p: &str| o.pointer(p).and_then(Value::as_array).unwrap_or(&empty);
    let phase = s(o, "/status/phase");
    let mut reason = match s(o, "/status/reason") {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    let conditions = arr("/status/conditions");
    if conditions
        .iter()
        .any(|c| c["type"] == "PodScheduled" && c["reason"] == "SchedulingGated")
    {
        reason = "SchedulingGated".into();
    }
    let init_specs = arr("/spec/initContainers");
    let mut initializing = false;
    let is_sidecar = |st: &Value| {
        init_specs
            .iter()
            .any(|c| c["name"] == st["name"] && c["restartPolicy"] == "Always")
    };
    let sidecars = init_specs
        .iter()
        .filter(|c| c["restartPolicy"] == "Always")
        .count();
    let mut sidecars_ready = 0;
    // Restarts of the init containers looked at (printPod stops at the first unfinished one);
    // once the pod is initialized only the sidecars' restarts are kept.
    let (mut init_restarts, mut init_last) = (0, None);
    let (mut sidecar_restarts, mut sidecar_last) = (0, None);
    for (i, st) in arr("/status/initContainerStatuses").iter().enumerate() {
        let count = st["restartCount"].as_i64().unwrap_or(0);
        let finished = util::parse_rfc3339(s(st, "/lastState/terminated/finishedAt"));
        init_restarts += count;
        init_last = init_last.max(finished);
        if is_sidecar(st) {
            sidecar_restarts += count;
            sidecar_last = sidecar_last.max(finished);
        }
        let term = st.pointer("/state/terminated");
        if term.is_some_and(|t| t["exitCode"].as_i64() == Some(0)) {
            continue;
        }
        // A started sidecar does not hold initialization up (printPod, KEP-753).
        if is_sidecar(st) && st["started"] == true {
            sidecars_ready += usize::from(st["ready"] == true);
            continue;
        }
        let waiting = s(st, "/state/waiting/reason");
        reason = match (term, waiting) {
            (Some(_), _) => format!("Init:{}", container_reason(st).unwrap_or_default()),
            (None, w) if !w.is_empty() && w != "PodInitializing" => format!("Init:{w}"),
            _ => format!("Init:{i}/{}", init_specs.len()),
        };
        initializing = true;
        break;
    }
    let initialized = conditions
        .iter()
        .any(|c| c["type"] == "Initialized" && c["status"] == "True");
    let mut ready = sidecars_ready;
    let mut restarts = init_restarts;
    let mut last_restart: Option<i64> = init_last;
    if !initializing || initialized {
        restarts = sidecar_restarts;
        last_restart = sidecar_last;
        let mut has_running = false;
        for st in arr("/status/containerStatuses").iter().rev() {
            restarts += st["restartCount"].as_i64().unwrap_or(0);
            if let Some(t) = util::parse_rfc3339(s(st, "/lastState/terminated/finishedAt")) {
                last_restart = Some(last_restart.map_or(t, |l| l.max(t)));
            }
            if let Some(r) = container_reason(st) {
                reason = r;
            } else if st["ready"] == true && st.pointer("/state/running").is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = conditions
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.into();
        }
    }
    let terminal = phase == "Succeeded" || phase == "Failed";
    if o.pointer("/metadata/deletionTimestamp").is_some() {
        if s(o, "/status/reason") == "NodeLost" {
            reason = "Unknown".into();
        } else if !terminal {
            reason = "Terminating".into();
        }
    }
    let restarts = match last_restart {
        Some(t) if restarts != 0 => {
            format!("{restarts} ({} ago)", human_duration(util::unix_now() - t))
        }
        _ => restarts.to_string(),
    };
    let ip = arr("/status/podIPs")
        .first()
        .map_or("", |p| p["ip"].as_str().unwrap_or(""));
    let gates = arr("/spec/readinessGates");
    let gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let ok = gates
            .iter()
            .filter(|g| {
                conditions
                    .iter()
                    .find(|c| c["type"] == g["conditionType"])
                    .is_some_and(|c| c["status"] == "True")
            })
            .count();
        format!("{ok}/{}", gates.len())
    };
    vec![
        json!(s(o, "/metadata/name")),
        json!(format!(
            "{ready}/{}",
            arr("/spec/containers").len() + sidecars
        )),
        json!(reason),
        json!(restarts),
        json!(since(s(o, "/metadata/creationTimestamp"))),
        json!(or_none(ip)),
        json!(or_none(s(o, "/spec/nodeName"))),
        json!(or_none(s(o, "/status/nominatedNodeName"))),
        json!(gates),
    ]
}

/// Node cells: Name, Status, Roles, Age, Version, Internal-IP, External-IP, OS-Image,
/// Kernel-Version, Container-Runtime.
pub fn node(o: &Value) -> Vec<Value> {
    let ready = o
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
    let mut status = vec![match ready {
        Some(c) if c["status"] == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if o.pointer("/spec/unschedulable") == Some(&Value::Bool(true)) {
        status.push("SchedulingDisabled");
    }
    let mut roles: Vec<&str> = o
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => Some(role),
            None if k == "kubernetes.io/role" => v.as_str().filter(|r| !r.is_empty()),
            _ => None,
        })
        .collect();
    roles.sort_unstable();
    roles.dedup();
    let address = |ty: &str| -> String {
        o.pointer("/status/addresses")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|x| x["type"] == ty))
            .and_then(|x| x["address"].as_str())
            .unwrap_or("<none>")
            .to_string()
    };
    let info = |f: &str| -> String {
        match s(o, &format!("/status/nodeInfo/{f}")) {
            "" => "<unknown>".into(),
            v => v.into(),
        }
    };
    vec![
        json!(s(o, "/metadata/name")),
        json!(status.join(",")),
        json!(if roles.is_empty() {
            "<none>".to_string()
        } else {
            roles.join(",")
        }),
        json!(since(s(o, "/metadata/creationTimestamp"))),
        json!(s(o, "/status/nodeInfo/kubeletVersion")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
}

/// Event cells: Last Seen, Type, Reason, Object, Subobject, Source, Message, First Seen, Count,
/// Name. Reads both the core/v1 and the events.k8s.io/v1 field names.
pub fn event(o: &Value) -> Vec<Value> {
    let pick = |core: &str, new: &str| -> &str {
        match s(o, core) {
            "" => s(o, new),
            v => v,
        }
    };
    let first = match pick("/firstTimestamp", "/deprecatedFirstTimestamp") {
        "" => since(s(o, "/eventTime")),
        t => since(t),
    };
    let mut last = match pick("/lastTimestamp", "/deprecatedLastTimestamp") {
        "" => first.clone(),
        t => since(t),
    };
    let mut count = o["count"]
        .as_i64()
        .or_else(|| o["deprecatedCount"].as_i64())
        .unwrap_or(0);
    if let Some(series) = o.get("series").filter(|v| v.is_object()) {
        last = since(s(series, "/lastObservedTime"));
        count = series["count"].as_i64().unwrap_or(0);
    } else if count == 0 {
        count = 1;
    }
    let regarding = o
        .get("involvedObject")
        .or_else(|| o.get("regarding"))
        .cloned()
        .unwrap_or(Value::Null);
    let kind = s(&regarding, "/kind").to_lowercase();
    let target = match s(&regarding, "/name") {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let component = pick("/source/component", "/deprecatedSource/component");
    let host = pick("/source/host", "/deprecatedSource/host");
    let source = match (component, host) {
        ("", _) => {
            let controller = pick("/reportingComponent", "/reportingController");
            match s(o, "/reportingInstance") {
                "" => controller.to_string(),
                i => format!("{controller}, {i}"),
            }
        }
        (c, "") => c.to_string(),
        (c, h) => format!("{c}, {h}"),
    };
    vec![
        json!(last),
        json!(s(o, "/type")),
        json!(s(o, "/reason")),
        json!(target),
        json!(s(&regarding, "/fieldPath")),
        json!(source),
        json!(pick("/message", "/note").trim()),
        json!(first),
        json!(count),
        json!(s(o, "/metadata/name")),
    ]
}

#[cfg(test)]
mod tests;
