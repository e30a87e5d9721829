//! The serving certificate, re-checked at every TLS handshake.
//!
//! A mounted Secret changes by an atomic swap of its `..data` symlink (the kubelet's
//! AtomicWriter, `pkg/volume/util/atomic_writer.go`): `tls.crt -> ..data/tls.crt` and
//! `..data -> ..2026_12_01_10_00_00.123`; a new timestamped directory is written, then `..data` is
//! renamed over. The files are never rewritten in place, so watching them for writes (inotify
//! `CLOSE_WRITE`) sees nothing. Instead, as kubert does for admission controllers, every new
//! connection checks the files: here only a `stat` of each path (following the symlinks), so a
//! swap shows as another inode, and the PEM is read and parsed only when that changed.
//!
//! A new pair is used only when it parses and the key matches the certificate; otherwise the
//! previous pair keeps serving, the failure is logged once per change and counted.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::metrics::WebhookMetrics;

/// Why a certificate/key pair cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: no PEM certificate in it ({reason})")]
    ParseCertificate { path: PathBuf, reason: String },
    #[error("{path}: no usable PEM private key in it ({reason})")]
    ParseKey { path: PathBuf, reason: String },
    #[error("{key} does not belong to the certificate in {cert}: {reason}")]
    KeyMismatch {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
}

impl CertError {
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::Read { .. } => "read",
            Self::ParseCertificate { .. } => "certificate",
            Self::ParseKey { .. } => "key",
            Self::KeyMismatch { .. } => "mismatch",
        }
    }
}

/// What a `stat` of a path says about the file behind its symlinks: a swapped `..data` gives
/// another inode, an in-place rewrite another size or modification time.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    fn of(path: &Path) -> Option<Self> {
        let m = fs::metadata(path).ok()?;
        Some(Self {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

struct State {
    /// The files as last examined (loaded or refused): nothing is re-read until they change.
    seen: (Option<FileStamp>, Option<FileStamp>),
    current: Arc<CertifiedKey>,
}

/// A rustls certificate resolver over a certificate and a key file.
pub struct ReloadingCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    metrics: WebhookMetrics,
    state: RwLock<State>,
}

impl std::fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingCert")
            .field("cert", &self.cert_path)
            .field("key", &self.key_path)
            .finish_non_exhaustive()
    }
}

impl ReloadingCert {
    /// Loads the pair; an unusable pair at start is an error (nothing to serve yet).
    pub fn load(
        cert_path: impl Into<PathBuf>,
        key_path: impl Into<PathBuf>,
        metrics: WebhookMetrics,
    ) -> Result<Self, CertError> {
        let (cert_path, key_path) = (cert_path.into(), key_path.into());
        let provider = super::provider();
        let seen = (FileStamp::of(&cert_path), FileStamp::of(&key_path));
        let current = Arc::new(load_pair(&cert_path, &key_path, &provider)?);
        Ok(Self {
            cert_path,
            key_path,
            provider,
            metrics,
            state: RwLock::new(State { seen, current }),
        })
    }

    /// The pair served now.
    pub fn current(&self) -> Arc<CertifiedKey> {
        Arc::clone(&self.state.read().unwrap_or_else(|e| e.into_inner()).current)
    }

    /// Re-reads the pair if either file changed since last examined.
    pub fn refresh(&self) {
        let stamps = (
            FileStamp::of(&self.cert_path),
            FileStamp::of(&self.key_path),
        );
        if self.state.read().unwrap_or_else(|e| e.into_inner()).seen == stamps {
            return;
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if state.seen == stamps {
            return; // another handshake reloaded it meanwhile
        }
        // Remember the stamps taken before reading: a change during the read shows at the next
        // handshake and is read again.
        state.seen = stamps;
        match load_pair(&self.cert_path, &self.key_path, &self.provider) {
            Ok(pair) => {
                state.current = Arc::new(pair);
                self.metrics.cert_reload(true);
                tracing::info!(cert = %self.cert_path.display(), "serving certificate reloaded");
            }
            Err(e) => {
                self.metrics.cert_reload(false);
                tracing::warn!(error = %e, reason = e.metric_label(),
                    "new serving certificate refused; the previous one stays in use");
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.refresh();
        Some(self.current())
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CertError> {
    fs::read(path).map_err(|source| CertError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Parses the chain and the key and checks that the key is the certificate's.
fn load_pair(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, CertError> {
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CertError::ParseCertificate {
            path: cert.to_owned(),
            reason: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(CertError::ParseCertificate {
            path: cert.to_owned(),
            reason: "empty".into(),
        });
    }
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| CertError::ParseKey {
        path: key.to_owned(),
        reason: e.to_string(),
    })?;
    let signing = provider
        .key_provider
        .load_private_key(private)
        .map_err(|e| CertError::ParseKey {
            path: key.to_owned(),
            reason: e.to_string(),
        })?;
    let pair = CertifiedKey::new(chain, signing);
    // Strict, unlike `CertifiedKey::from_der`: a key whose match cannot be shown is refused too,
    // since serving it would fail every handshake.
    pair.keys_match().map_err(|e| CertError::KeyMismatch {
        cert: cert.to_owned(),
        key: key.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(pair)
}
