//! core/v1 Services: defaults, ClusterIP and NodePort allocation, and validation, written from
//! the Kubernetes sources rather than from the code under test.
//!
//! - Defaulting (`pkg/apis/core/v1/defaults.go` `SetDefaults_Service`, `SetDefaults_ServicePort`):
//!   `type: ClusterIP`, `sessionAffinity: None`, `internalTrafficPolicy: Cluster`, port
//!   `protocol: TCP`, `targetPort` = `port`; single-stack IPv4 (`ipFamilies`, `ipFamilyPolicy`).
//! - Allocation (`pkg/registry/core/service/ipallocator`, `portallocator`): a ClusterIP from the
//!   service CIDR (kube-apiserver `--service-cluster-ip-range`, here its kubeadm default
//!   10.96.0.0/12, whose first address is the `kubernetes` Service's), `None` for a headless
//!   Service, a requested address if it is in range and free; NodePorts from 30000-32767.
//! - On update the allocated addresses are carried over when the new object leaves them empty
//!   (`patchAllocatedValues`) and the primary ClusterIP may not change
//!   (`validateUpgradeDowngradeClusterIPs`: "may not change once set").
//! - Validation (`pkg/apis/core/validation/validation.go` `ValidateService`): type, ports
//!   (required unless headless or ExternalName, names required when several, unique DNS labels,
//!   numbers 1-65535, protocol TCP/UDP/SCTP), `externalName` for ExternalName Services.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, FieldError, FieldErrorKind};
use crate::registry::validate::{LABEL_MSG, is_label};
use crate::resources;
use crate::state::Cluster;
use crate::util;

/// Service CIDR base address and prefix length (kubeadm's default `serviceSubnet`).
pub const SERVICE_CIDR: (Ipv4Addr, u32) = (Ipv4Addr::new(10, 96, 0, 0), 12);
/// kube-apiserver `--service-node-port-range` default.
pub const NODE_PORTS: std::ops::RangeInclusive<u64> = 30000..=32767;
/// `core.ClusterIPNone`: a headless Service.
pub const CLUSTER_IP_NONE: &str = "None";
const TYPES: [&str; 4] = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];
const PORT_RANGE_MSG: &str = "must be between 1 and 65535, inclusive";

fn cidr_text() -> String {
    format!("{}/{}", SERVICE_CIDR.0, SERVICE_CIDR.1)
}

fn in_cidr(ip: Ipv4Addr) -> bool {
    let mask = u32::MAX << (32 - SERVICE_CIDR.1);
    u32::from(ip) & mask == u32::from(SERVICE_CIDR.0)
}

fn ty(obj: &Value) -> &str {
    util::str_at(obj, "spec.type")
}

fn needs_cluster_ip(obj: &Value) -> bool {
    ty(obj) != "ExternalName"
}

fn needs_node_ports(obj: &Value) -> bool {
    matches!(ty(obj), "NodePort" | "LoadBalancer")
}

fn ports_mut(obj: &mut Value) -> impl Iterator<Item = &mut Value> {
    obj.pointer_mut("/spec/ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// `SetDefaults_Service` and the strategy's ClusterIP/ClusterIPs normalization.
pub fn default_fields(obj: &mut Value) {
    let spec = util::obj_entry(obj, "spec");
    if util::str_at(spec, "type").is_empty() {
        spec["type"] = json!("ClusterIP");
    }
    if util::str_at(spec, "sessionAffinity").is_empty() {
        spec["sessionAffinity"] = json!("None");
    }
    let ip = util::str_at(spec, "clusterIP").to_string();
    let first = spec
        .pointer("/clusterIPs/0")
        .and_then(Value::as_str)
        .map(str::to_string);
    match (ip.is_empty(), first) {
        (false, None) => spec["clusterIPs"] = json!([ip]),
        (true, Some(f)) => spec["clusterIP"] = json!(f),
        _ => {}
    }
    if util::str_at(spec, "type") != "ExternalName"
        && util::str_at(spec, "internalTrafficPolicy").is_empty()
    {
        spec["internalTrafficPolicy"] = json!("Cluster");
    }
    for p in ports_mut(obj) {
        if util::str_at(p, "protocol").is_empty() {
            p["protocol"] = json!("TCP");
        }
        if p.get("targetPort").is_none_or(Value::is_null) {
            p["targetPort"] = p.get("port").cloned().unwrap_or(Value::Null);
        }
    }
    if obj.get("status").is_none() {
        obj["status"] = json!({"loadBalancer": {}});
    }
}

/// `patchAllocatedValues`: an update that leaves the addresses empty keeps the allocated ones.
pub fn carry_allocations(old: &Value, new: &mut Value) {
    if needs_cluster_ip(old) && needs_cluster_ip(new) {
        for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            let empty = new["spec"].get(key).is_none_or(|v| {
                v.is_null() || v.as_str() == Some("") || v.as_array().is_some_and(Vec::is_empty)
            });
            if empty && let Some(v) = old["spec"].get(key) {
                new["spec"][key] = v.clone();
            }
        }
    }
    if needs_node_ports(old) && needs_node_ports(new) {
        let old_ports = old
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .cloned();
        for p in ports_mut(new) {
            if p.get("nodePort").and_then(Value::as_u64).unwrap_or(0) != 0 {
                continue;
            }
            let same = old_ports
                .iter()
                .flatten()
                .find(|o| o.get("port") == p.get("port") && o.get("protocol") == p.get("protocol"));
            if let Some(np) = same.and_then(|o| o.get("nodePort")) {
                p["nodePort"] = np.clone();
            }
        }
    }
}

fn num(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

/// `ValidateService` (after defaulting and allocation).
pub fn validate(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let t = ty(obj);
    if !TYPES.contains(&t) {
        errs.push(FieldError {
            field: "spec.type".into(),
            kind: FieldErrorKind::NotSupported(t.into()),
            detail:
                "supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
                    .into(),
        });
    }
    let ports = obj.pointer("/spec/ports").and_then(Value::as_array);
    let headless = util::str_at(obj, "spec.clusterIP") == CLUSTER_IP_NONE;
    if ports.is_none_or(Vec::is_empty) && !headless && t != "ExternalName" {
        errs.push(FieldError::required("spec.ports", ""));
    }
    if t == "ExternalName" && util::str_at(obj, "spec.externalName").is_empty() {
        errs.push(FieldError::required("spec.externalName", ""));
    }
    let many = ports.is_some_and(|p| p.len() > 1);
    let mut names = HashSet::new();
    for (i, p) in ports.into_iter().flatten().enumerate() {
        let at = |f: &str| format!("spec.ports[{i}].{f}");
        let name = util::str_at(p, "name");
        if name.is_empty() {
            if many {
                errs.push(FieldError::required(at("name"), ""));
            }
        } else if !is_label(name) {
            errs.push(FieldError::invalid(at("name"), name, LABEL_MSG));
        } else if !names.insert(name.to_string()) {
            errs.push(FieldError {
                field: at("name"),
                kind: FieldErrorKind::Duplicate(name.into()),
                detail: String::new(),
            });
        }
        match num(p.get("port")) {
            Some(1..=65535) => {}
            other => errs.push(FieldError::invalid(
                at("port"),
                other.unwrap_or(0).to_string(),
                PORT_RANGE_MSG,
            )),
        }
        let proto = util::str_at(p, "protocol");
        if !PROTOCOLS.contains(&proto) {
            errs.push(FieldError {
                field: at("protocol"),
                kind: FieldErrorKind::NotSupported(proto.into()),
                detail: "supported values: \"SCTP\", \"TCP\", \"UDP\"".into(),
            });
        }
        match p.get("targetPort") {
            Some(Value::Number(n)) if !(1..=65535).contains(&n.as_i64().unwrap_or(0)) => {
                errs.push(FieldError::invalid(
                    at("targetPort"),
                    n.to_string(),
                    PORT_RANGE_MSG,
                ));
            }
            Some(Value::String(s)) if !is_port_name(s) => {
                errs.push(FieldError::invalid(
                    at("targetPort"),
                    s.as_str(),
                    "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), at most 15, with at least one letter",
                ));
            }
            _ => {}
        }
    }
    errs
}

/// apimachinery `IsValidPortName` (IANA_SVC_NAME): 1-15 lowercase alphanumerics and hyphens,
/// at least one letter, no leading, trailing or double hyphen.
fn is_port_name(s: &str) -> bool {
    (1..=15).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// `ValidateServiceUpdate`: the primary ClusterIP may not change.
pub fn validate_update(old: &Value, new: &Value) -> Vec<FieldError> {
    let old_ip = old.pointer("/spec/clusterIPs/0").and_then(Value::as_str);
    let new_ip = new.pointer("/spec/clusterIPs/0").and_then(Value::as_str);
    match (old_ip, new_ip) {
        (Some(o), Some(n)) if o != n && needs_cluster_ip(old) && needs_cluster_ip(new) => {
            vec![FieldError::invalid(
                "spec.clusterIPs[0]",
                n,
                "may not change once set",
            )]
        }
        _ => Vec::new(),
    }
}

fn alloc_error(name: &str, field: String, value: String, detail: String) -> ApiError {
    // Allocation failures are reported as validation errors of the Service (422).
    ApiError::invalid(
        "",
        "Service",
        name,
        vec![FieldError::invalid(field, value, detail)],
    )
}

impl Cluster {
    /// Addresses and node ports other Services hold.
    fn service_allocations(&self) -> (HashSet<String>, HashSet<u64>) {
        let (all, _) = self.store.list(resources::by_storage("services"), None);
        let mut ips = HashSet::new();
        let mut ports = HashSet::new();
        for s in &all {
            for ip in s
                .pointer("/spec/clusterIPs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                ips.insert(ip.as_str().unwrap_or_default().to_string());
            }
            for p in s
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(np) = p.get("nodePort").and_then(Value::as_u64) {
                    ports.insert(np);
                }
            }
        }
        (ips, ports)
    }

    /// Allocate a new Service's ClusterIP and NodePorts (`ipallocator`, `portallocator`).
    pub(crate) fn allocate_service(&self, obj: &mut Value) -> ApiResult<()> {
        let name = util::str_at(obj, "metadata.name").to_string();
        let (ips, used_ports) = self.service_allocations();
        let want = util::str_at(obj, "spec.clusterIP").to_string();
        let err = |v: &str, d: String| alloc_error(&name, "spec.clusterIPs".into(), v.into(), d);
        if needs_cluster_ip(obj) && want != CLUSTER_IP_NONE {
            let ip = if want.is_empty() {
                self.free_cluster_ip(&ips)
                    .ok_or_else(|| err("", "range is full".into()))?
            } else {
                let parsed: Ipv4Addr = want
                    .parse()
                    .map_err(|_| err(&want, "must be a valid IP address".into()))?;
                if !in_cidr(parsed) {
                    return Err(err(
                        &want,
                        format!(
                            "failed to allocate IP {want}: the provided IP ({want}) is not in the valid range. The range of valid IPs is {}",
                            cidr_text()
                        ),
                    ));
                }
                if ips.contains(&want) {
                    return Err(err(
                        &want,
                        format!("failed to allocate IP {want}: provided IP is already allocated"),
                    ));
                }
                want.clone()
            };
            obj["spec"]["clusterIP"] = json!(ip);
            obj["spec"]["clusterIPs"] = json!([ip]);
        }
        if needs_cluster_ip(obj) {
            obj["spec"]["ipFamilies"] = json!(["IPv4"]);
            obj["spec"]["ipFamilyPolicy"] = json!("SingleStack");
        }
        if needs_node_ports(obj) {
            self.allocate_node_ports(&name, obj, used_ports)?;
        }
        Ok(())
    }

    fn allocate_node_ports(
        &self,
        name: &str,
        obj: &mut Value,
        mut used: HashSet<u64>,
    ) -> ApiResult<()> {
        for (i, p) in ports_mut(obj).enumerate() {
            match p.get("nodePort").and_then(Value::as_u64).unwrap_or(0) {
                0 => {
                    let span = NODE_PORTS.end() - NODE_PORTS.start() + 1;
                    let free = (0..span)
                        .map(|k| NODE_PORTS.start() + (util::random_u64().wrapping_add(k)) % span)
                        .find(|n| !used.contains(n))
                        .ok_or_else(|| ApiError::internal("node port range is full"))?;
                    used.insert(free);
                    p["nodePort"] = json!(free);
                }
                n if !NODE_PORTS.contains(&n) => {
                    return Err(alloc_error(
                        name,
                        format!("spec.ports[{i}].nodePort"),
                        n.to_string(),
                        format!(
                            "provided port is not in the valid range. The range of valid ports is {}-{}",
                            NODE_PORTS.start(),
                            NODE_PORTS.end()
                        ),
                    ));
                }
                n if used.contains(&n) => {
                    return Err(alloc_error(
                        name,
                        format!("spec.ports[{i}].nodePort"),
                        n.to_string(),
                        "provided port is already allocated".into(),
                    ));
                }
                n => {
                    used.insert(n);
                }
            }
        }
        Ok(())
    }

    /// A free address of the service CIDR, drawn at random (the real allocator also draws
    /// dynamic addresses at random), skipping the network address and the first host.
    fn free_cluster_ip(&self, used: &HashSet<String>) -> Option<String> {
        let base = u32::from(SERVICE_CIDR.0);
        let size = 1u32 << (32 - SERVICE_CIDR.1);
        (0..64)
            .map(|_| base + 2 + (util::random_u64() % u64::from(size - 3)) as u32)
            .chain(base + 2..base + size - 1)
            .map(|n| Ipv4Addr::from(n).to_string())
            .find(|ip| !used.contains(ip))
    }
}

#[cfg(test)]
mod tests;
