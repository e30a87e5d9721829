//! Certificate material: a CA and a serving certificate made with rcgen (ECDSA P-256, ring), and
//! certificates and keys read back from PEM (rustls-pki-types for PEM, x509-parser for fields
//! and signatures). Pure: no I/O; time is passed in.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, SanType,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::error::CertError;
use crate::spec::{BACKDATE, CertSpec};

/// A certificate with its private key, both PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedCert {
    pub cert_pem: String,
    pub key_pem: String,
}

/// What the reconcile needs to know about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub der: Vec<u8>,
    pub subject: String,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
    pub is_ca: bool,
    pub dns_names: Vec<String>,
    /// DER SubjectPublicKeyInfo, to match the certificate with a key.
    pub spki: Vec<u8>,
}

impl CertInfo {
    /// Valid at `now` and for longer than `margin` after it.
    pub fn valid_beyond(&self, now: SystemTime, margin: Duration) -> bool {
        self.not_before <= now && now + margin < self.not_after
    }

    pub fn expired_at(&self, now: SystemTime) -> bool {
        self.not_after <= now
    }

    /// Whether `ca` signed this certificate (its signature verifies with the CA's key).
    pub fn signed_by(&self, ca: &CertInfo) -> bool {
        let (Ok((_, me)), Ok((_, issuer))) = (
            X509Certificate::from_der(&self.der),
            X509Certificate::from_der(&ca.der),
        ) else {
            return false;
        };
        me.verify_signature(Some(issuer.public_key())).is_ok()
    }

    pub fn pem(&self) -> String {
        pem::encode(&pem::Pem::new("CERTIFICATE", self.der.clone()))
    }
}

fn system_time(seconds: i64) -> SystemTime {
    match u64::try_from(seconds) {
        Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
        Err(_) => UNIX_EPOCH,
    }
}

/// Parse one DER certificate.
pub fn cert_info(der: &[u8]) -> Result<CertInfo, String> {
    let (_, x509) =
        X509Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let dns_names = match x509.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(d) => Some(d.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(CertInfo {
        der: der.to_vec(),
        subject: x509.subject().to_string(),
        not_before: system_time(x509.validity().not_before.timestamp()),
        not_after: system_time(x509.validity().not_after.timestamp()),
        is_ca: x509.is_ca(),
        dns_names,
        spki: x509.public_key().raw.to_vec(),
    })
}

/// Every `CERTIFICATE` block of a PEM text, parsed; an error when there is none or one is bad.
pub fn parse_certs(pem: &[u8]) -> Result<Vec<CertInfo>, String> {
    let mut out = Vec::new();
    for der in CertificateDer::pem_slice_iter(pem) {
        let der = der.map_err(|e| format!("bad PEM: {e}"))?;
        out.push(cert_info(&der)?);
    }
    if out.is_empty() {
        return Err("no PEM CERTIFICATE block".into());
    }
    Ok(out)
}

/// The DER SubjectPublicKeyInfo of a PEM private key.
pub fn key_spki(key_pem: &str) -> Result<Vec<u8>, String> {
    KeyPair::from_pem(key_pem)
        .map(|k| k.subject_public_key_info())
        .map_err(|e| format!("not a usable private key: {e}"))
}

/// The PEM bundle of `certs`, in order.
pub fn bundle_pem<'a>(certs: impl IntoIterator<Item = &'a CertInfo>) -> String {
    certs.into_iter().map(CertInfo::pem).collect()
}

fn offset(t: SystemTime) -> time::OffsetDateTime {
    time::OffsetDateTime::from(t)
}

fn generation(what: &'static str) -> impl FnOnce(rcgen::Error) -> CertError {
    move |source| CertError::GenerateCertificate { what, source }
}

/// A new self-signed CA, named after the service and its creation second so that the CAs of a
/// rotation are told apart in logs and in the bundle.
pub fn generate_ca(spec: &CertSpec, now: SystemTime) -> Result<KeyedCert, CertError> {
    let err = || generation("CA");
    let key = KeyPair::generate().map_err(err())?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err())?;
    let stamp = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    params.distinguished_name.push(
        DnType::CommonName,
        format!("{}.{} webhook CA {stamp}", spec.service, spec.namespace),
    );
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = offset(now - BACKDATE);
    params.not_after = offset(now + spec.ca_validity);
    let cert = params.self_signed(&key).map_err(err())?;
    Ok(KeyedCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A serving certificate for the spec's DNS names, signed by `ca`, valid for the serving
/// lifetime but never past the CA's own expiry (`ca_not_after`).
pub fn issue_serving(
    spec: &CertSpec,
    ca: &KeyedCert,
    ca_not_after: SystemTime,
    now: SystemTime,
) -> Result<KeyedCert, CertError> {
    let err = || generation("serving certificate");
    let ca_key = KeyPair::from_pem(&ca.key_pem).map_err(err())?;
    let issuer = Issuer::from_ca_cert_pem(&ca.cert_pem, ca_key).map_err(err())?;
    let key = KeyPair::generate().map_err(err())?;
    let names = spec.dns_names();
    let mut params = CertificateParams::new(names.clone()).map_err(err())?;
    params
        .distinguished_name
        .push(DnType::CommonName, names[0].clone());
    params.subject_alt_names = names
        .into_iter()
        .map(|n| n.try_into().map(SanType::DnsName))
        .collect::<Result<_, _>>()
        .map_err(err())?;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = offset(now - BACKDATE);
    params.not_after = offset((now + spec.serving_validity).min(ca_not_after));
    let cert = params.signed_by(&key, &issuer).map_err(err())?;
    Ok(KeyedCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::days;

    fn spec() -> CertSpec {
        CertSpec::new("rightsize-webhook", "rightsize-system", "s", "m")
    }

    #[test]
    fn serving_certificate_names_the_service_and_chains_to_its_ca() {
        let now = SystemTime::now();
        let ca = generate_ca(&spec(), now).unwrap();
        let ca_info = &parse_certs(ca.cert_pem.as_bytes()).unwrap()[0];
        assert!(ca_info.is_ca);
        assert_eq!(key_spki(&ca.key_pem).unwrap(), ca_info.spki);
        let leaf = issue_serving(&spec(), &ca, ca_info.not_after, now).unwrap();
        let info = &parse_certs(leaf.cert_pem.as_bytes()).unwrap()[0];
        assert_eq!(
            info.dns_names,
            [
                "rightsize-webhook.rightsize-system.svc",
                "rightsize-webhook.rightsize-system.svc.cluster.local"
            ]
        );
        assert!(!info.is_ca);
        assert!(info.signed_by(ca_info));
        assert!(!ca_info.signed_by(info));
        assert_eq!(key_spki(&leaf.key_pem).unwrap(), info.spki);
        assert!(info.valid_beyond(now, days(300)));
    }

    #[test]
    fn serving_certificate_never_outlives_its_ca() {
        let now = SystemTime::now();
        let ca = generate_ca(&spec(), now).unwrap();
        let ca_not_after = now + days(10);
        let leaf = issue_serving(&spec(), &ca, ca_not_after, now).unwrap();
        let info = &parse_certs(leaf.cert_pem.as_bytes()).unwrap()[0];
        let slack = info
            .not_after
            .max(ca_not_after)
            .duration_since(info.not_after.min(ca_not_after))
            .unwrap();
        assert!(slack < Duration::from_secs(1), "{slack:?}");
    }

    #[test]
    fn garbage_is_reported_not_panicked_on() {
        assert!(parse_certs(b"").unwrap_err().contains("no PEM"));
        let bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(parse_certs(bad).is_err());
        assert!(key_spki("not a key").is_err());
    }
}
