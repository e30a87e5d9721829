//! What the Secret holds, read into a [`CertState`]: the CA bundle, the CA whose key is stored
//! (the one that signs new serving certificates), the serving pair, and when the last step was
//! taken. Pure: every problem becomes a reason in words, never a panic.
//!
//! Secret layout (type `kubernetes.io/tls`): `tls.crt`, `tls.key` the serving pair (what the
//! webhook mounts); `ca.crt` the CA bundle PEM, exactly what the caBundle publishes (one CA, or
//! two during a rotation); `ca.key` the key of the newest CA of the bundle.

use std::collections::BTreeMap;
use std::time::SystemTime;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;

use crate::material::{self, CertInfo, KeyedCert};
use crate::spec::CertSpec;

pub const TLS_CRT: &str = "tls.crt";
pub const TLS_KEY: &str = "tls.key";
pub const CA_CRT: &str = "ca.crt";
pub const CA_KEY: &str = "ca.key";
/// core/v1 `SecretTypeTLS`: the API server requires `tls.crt` and `tls.key` in it.
pub const SECRET_TYPE_TLS: &str = "kubernetes.io/tls";
/// When the last certificate step was written (RFC 3339); rotation steps wait
/// [`CertSpec::settle`] after it.
pub const LAST_CHANGE_ANNOTATION: &str = "rightsize.dev/certs-last-change";

/// The Secret as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum CertState {
    /// No Secret yet.
    Missing,
    /// The Secret cannot yield a CA to sign with. `keep`: CAs of its bundle that are still valid
    /// (trusted today, so a replacement keeps them until the webhook serves the new pair).
    Unusable {
        reason: String,
        keep: Vec<CertInfo>,
        wrong_type: bool,
    },
    Usable(Box<Material>),
}

/// A Secret with a usable CA.
#[derive(Debug, Clone, PartialEq)]
pub struct Material {
    /// `ca.crt`, in order (oldest first).
    pub bundle: Vec<CertInfo>,
    /// Index in `bundle` of the CA whose key is `ca.key`.
    pub current: usize,
    pub ca_key_pem: String,
    /// The serving pair, or why it cannot be served.
    pub serving: Result<Serving, String>,
    pub last_change: Option<SystemTime>,
}

impl Material {
    pub fn current_ca(&self) -> &CertInfo {
        &self.bundle[self.current]
    }

    /// The current CA with its key, for signing.
    pub fn current_keyed(&self) -> KeyedCert {
        KeyedCert {
            cert_pem: self.current_ca().pem(),
            key_pem: self.ca_key_pem.clone(),
        }
    }
}

/// A serving pair that is consistent and valid now.
#[derive(Debug, Clone, PartialEq)]
pub struct Serving {
    pub pair: KeyedCert,
    pub info: CertInfo,
    /// Index in the bundle of the CA that signed it.
    pub issuer: usize,
}

fn text(data: &BTreeMap<String, ByteString>, key: &str) -> Result<String, String> {
    let bytes = data.get(key).ok_or_else(|| format!("{key} is missing"))?;
    String::from_utf8(bytes.0.clone()).map_err(|_| format!("{key} is not PEM text"))
}

/// Read a Secret (or its absence) at `now`.
pub fn read_state(secret: Option<&Secret>, spec: &CertSpec, now: SystemTime) -> CertState {
    let Some(secret) = secret else {
        return CertState::Missing;
    };
    let empty = BTreeMap::new();
    let data = secret.data.as_ref().unwrap_or(&empty);
    let bundle = text(data, CA_CRT).and_then(|pem| {
        material::parse_certs(pem.as_bytes()).map_err(|e| format!("{CA_CRT}: {e}"))
    });
    let keep = |bundle: &Result<Vec<CertInfo>, String>| -> Vec<CertInfo> {
        bundle
            .iter()
            .flatten()
            .filter(|c| c.is_ca && !c.expired_at(now))
            .cloned()
            .collect()
    };
    let ty = secret.type_.as_deref().unwrap_or_default();
    if ty != SECRET_TYPE_TLS {
        return CertState::Unusable {
            reason: format!("type is {ty:?}, not {SECRET_TYPE_TLS}"),
            keep: keep(&bundle),
            wrong_type: true,
        };
    }
    let unusable = |reason: String| CertState::Unusable {
        reason,
        keep: keep(&bundle),
        wrong_type: false,
    };
    let certs = match &bundle {
        Ok(b) => b.clone(),
        Err(e) => return unusable(e.clone()),
    };
    let ca_key_pem = match text(data, CA_KEY) {
        Ok(k) => k,
        Err(e) => return unusable(e),
    };
    let spki = match material::key_spki(&ca_key_pem) {
        Ok(s) => s,
        Err(e) => return unusable(format!("{CA_KEY}: {e}")),
    };
    let Some(current) = certs.iter().position(|c| c.spki == spki) else {
        return unusable(format!("{CA_KEY} matches no certificate of {CA_CRT}"));
    };
    if !certs[current].is_ca {
        return unusable(format!("the certificate of {CA_KEY} is not a CA"));
    }
    let serving = read_serving(data, &certs, spec, now);
    let last_change = secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(LAST_CHANGE_ANNOTATION))
        .and_then(|s| s.parse::<Timestamp>().ok())
        .map(SystemTime::from);
    CertState::Usable(Box::new(Material {
        bundle: certs,
        current,
        ca_key_pem,
        serving,
        last_change,
    }))
}

/// The serving pair, checked: parses, key matches, names the service, valid now, signed by a
/// CA of the bundle.
fn read_serving(
    data: &BTreeMap<String, ByteString>,
    bundle: &[CertInfo],
    spec: &CertSpec,
    now: SystemTime,
) -> Result<Serving, String> {
    let cert_pem = text(data, TLS_CRT)?;
    let key_pem = text(data, TLS_KEY)?;
    let info = material::parse_certs(cert_pem.as_bytes())
        .map_err(|e| format!("{TLS_CRT}: {e}"))?
        .remove(0);
    let spki = material::key_spki(&key_pem).map_err(|e| format!("{TLS_KEY}: {e}"))?;
    if spki != info.spki {
        return Err(format!("{TLS_KEY} does not match {TLS_CRT}"));
    }
    if let Some(missing) = spec
        .dns_names()
        .into_iter()
        .find(|n| !info.dns_names.contains(n))
    {
        return Err(format!("{TLS_CRT} does not name {missing}"));
    }
    if info.expired_at(now) || info.not_before > now {
        return Err(format!("{TLS_CRT} is not valid now"));
    }
    let issuer = bundle
        .iter()
        .position(|ca| info.signed_by(ca))
        .ok_or_else(|| format!("{TLS_CRT} is not signed by a CA of {CA_CRT}"))?;
    Ok(Serving {
        pair: KeyedCert { cert_pem, key_pem },
        info,
        issuer,
    })
}

/// The Secret contents after a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Contents {
    /// `ca.crt`, oldest first.
    pub bundle: Vec<CertInfo>,
    /// `ca.key`: the key of the CA that signs new serving certificates.
    pub ca_key_pem: String,
    pub serving: KeyedCert,
}

impl Contents {
    /// `ca.crt` as published in the caBundle.
    pub fn bundle_pem(&self) -> String {
        material::bundle_pem(&self.bundle)
    }
}

/// The Secret holding `contents`, stamped with `now` as the time of the last step.
pub fn secret_object(spec: &CertSpec, contents: &Contents, now: SystemTime) -> Secret {
    let entry = |k: &str, v: &str| (k.to_string(), ByteString(v.as_bytes().to_vec()));
    let mut secret = Secret {
        type_: Some(SECRET_TYPE_TLS.into()),
        data: Some(BTreeMap::from([
            entry(TLS_CRT, &contents.serving.cert_pem),
            entry(TLS_KEY, &contents.serving.key_pem),
            entry(CA_CRT, &contents.bundle_pem()),
            entry(CA_KEY, &contents.ca_key_pem),
        ])),
        ..Secret::default()
    };
    secret.metadata.name = Some(spec.secret_name.clone());
    secret.metadata.namespace = Some(spec.namespace.clone());
    secret.metadata.labels = Some(BTreeMap::from([(
        "app.kubernetes.io/managed-by".to_string(),
        "rightsize-certs".to_string(),
    )]));
    secret.metadata.annotations = Some(BTreeMap::from([(
        LAST_CHANGE_ANNOTATION.to_string(),
        timestamp(now),
    )]));
    secret
}

/// The annotation value for `now`.
pub fn timestamp(now: SystemTime) -> String {
    Timestamp::try_from(now)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
