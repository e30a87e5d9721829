//! How clients reach a running simulated cluster: its addresses and URLs (HTTP, HTTPS,
//! metrics-server, kube-state-metrics), kubeconfigs for kubectl (administrator or a
//! ServiceAccount, written atomically), kube-rs clients, and ServiceAccount tokens. Separate
//! from the wiring (`cluster`): none of it changes what runs, only how it is reached.

use std::net::SocketAddr;
use std::path::Path;

use super::SimCluster;
use crate::error::Error;

/// Lifetime of the tokens [`SimCluster::service_account_token`] issues: long enough for any test
/// or demo run (a real kubelet-projected token lives an hour and is refreshed).
pub const SERVICE_ACCOUNT_TOKEN_LIFETIME: std::time::Duration =
    std::time::Duration::from_secs(48 * 3600);

/// A kubeconfig for `url` (trusting `ca_pem` if given) with default namespace `ns` and the
/// `user:` body `user` (`{}` or `token: ...`).
fn kubeconfig(url: &str, ca_pem: Option<&str>, ns: &str, user: &str) -> String {
    use base64::Engine;
    let user = if user == "{}" {
        " {}".to_string()
    } else {
        format!("\n    {user}")
    };
    let ca = ca_pem.map_or(String::new(), |pem| {
        format!(
            "\n    certificate-authority-data: {}",
            base64::engine::general_purpose::STANDARD.encode(pem)
        )
    });
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: rightsize-sim\n  cluster:\n    server: {url}{ca}\nusers:\n- name: rightsize-sim\n  user:{user}\ncontexts:\n- name: rightsize-sim\n  context:\n    cluster: rightsize-sim\n    user: rightsize-sim\n    namespace: {ns}\ncurrent-context: rightsize-sim\npreferences: {{}}\n"
    )
}

/// Write `text` to `path` through a sibling temporary file renamed into place.
fn write_atomically(path: &Path, text: &str) -> Result<(), Error> {
    let err = |source| Error::WriteKubeconfig {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

impl SimCluster {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The metrics-server endpoint's base URL (`https://localhost:PORT`), when served.
    pub fn metrics_server_url(&self) -> Option<String> {
        self.metrics_server
            .as_ref()
            .map(|(a, _)| format!("https://localhost:{}", a.port()))
    }

    /// The metrics-server endpoint's self-signed certificate (PEM): the CA a client trusts.
    pub fn metrics_server_ca_pem(&self) -> Option<&str> {
        self.metrics_server.as_ref().map(|(_, pem)| pem.as_str())
    }

    /// The bearer token the metrics-server endpoint accepts.
    pub fn metrics_token(&self) -> &str {
        &self.cluster.config.metrics_token
    }

    /// The kube-state-metrics endpoint (`http://127.0.0.1:PORT`, text at `/metrics`), when
    /// served.
    pub fn kube_state_metrics_url(&self) -> Option<String> {
        self.kube_state_metrics.map(|a| format!("http://{a}"))
    }

    /// Base URL of the HTTPS listener (`https://127.0.0.1:PORT`): the same API, for clients that
    /// send credentials only over TLS (kubectl) or that verify the server.
    pub fn https_url(&self) -> String {
        format!("https://{}", self.https_addr)
    }

    /// The CA certificate (PEM) the HTTPS listener's certificate chains to.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A kubeconfig (YAML) for the HTTPS listener as the unrestricted administrator (the sim's
    /// admin token): the one to use with `kubectl --token`, which kubectl sends only over TLS.
    pub fn tls_kubeconfig_yaml(&self) -> String {
        let admin = format!("token: {}", self.cluster.tokens.admin());
        kubeconfig(&self.https_url(), Some(&self.ca_pem), "default", &admin)
    }

    /// Write [`Self::tls_kubeconfig_yaml`] to `path` (atomically).
    pub fn write_tls_kubeconfig(&self, path: &Path) -> Result<(), Error> {
        write_atomically(path, &self.tls_kubeconfig_yaml())
    }

    /// A kube-rs client for this cluster (default namespace `default`).
    pub fn client(&self) -> Result<kube::Client, Error> {
        let url = self.url();
        let uri: axum::http::Uri = url
            .parse()
            .map_err(|_| Error::InvalidUrl { url: url.clone() })?;
        let config = kube::Config::new(uri);
        kube::Client::try_from(config).map_err(|source| Error::Client { url, source })
    }

    /// A kubeconfig (YAML) pointing at this cluster, context `rightsize-sim`, as the
    /// unrestricted administrator (no credentials).
    pub fn kubeconfig_yaml(&self) -> String {
        kubeconfig(&self.url(), None, "default", "{}")
    }

    /// Write [`Self::kubeconfig_yaml`] to `path`, atomically (a sibling temporary file renamed
    /// into place), so whoever waits for the file to appear never reads half of it.
    pub fn write_kubeconfig(&self, path: &Path) -> Result<(), Error> {
        write_atomically(path, &self.kubeconfig_yaml())
    }

    /// A bearer token for ServiceAccount `ns/name` (TokenRequest, valid
    /// [`SERVICE_ACCOUNT_TOKEN_LIFETIME`]), as `kubectl create token` gets one: requests with it
    /// are authorised by RBAC. The ServiceAccount must exist.
    pub fn service_account_token(&self, ns: &str, name: &str) -> Result<String, Error> {
        self.cluster
            .issue_token(ns, name, SERVICE_ACCOUNT_TOKEN_LIFETIME.as_secs() as i64)
            .map(|(token, _)| token)
            .map_err(|e| Error::ServiceAccountToken {
                account: format!("{ns}/{name}"),
                reason: e.message,
            })
    }

    /// A kubeconfig (YAML) for this cluster that authenticates as ServiceAccount `ns/name`
    /// with a fresh [`Self::service_account_token`]: what a binary running as that
    /// ServiceAccount in a pod would be allowed to do, it may do, and nothing more.
    pub fn service_account_kubeconfig_yaml(&self, ns: &str, name: &str) -> Result<String, Error> {
        let token = self.service_account_token(ns, name)?;
        Ok(kubeconfig(
            &self.https_url(),
            Some(&self.ca_pem),
            ns,
            &format!("token: {token}"),
        ))
    }

    /// Write [`Self::service_account_kubeconfig_yaml`] to `path` (atomically).
    pub fn write_service_account_kubeconfig(
        &self,
        path: &Path,
        ns: &str,
        name: &str,
    ) -> Result<(), Error> {
        write_atomically(path, &self.service_account_kubeconfig_yaml(ns, name)?)
    }

    /// A kube-rs client authenticated as ServiceAccount `ns/name` (default namespace `ns`),
    /// over HTTPS from [`Self::service_account_kubeconfig_yaml`], as a binary would load it.
    pub async fn service_account_client(
        &self,
        ns: &str,
        name: &str,
    ) -> Result<kube::Client, Error> {
        let url = self.https_url();
        let yaml = self.service_account_kubeconfig_yaml(ns, name)?;
        let kc = kube::config::Kubeconfig::from_yaml(&yaml).map_err(|source| Error::Client {
            url: url.clone(),
            source: source.into(),
        })?;
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .map_err(|source| Error::Client {
                url: url.clone(),
                source: source.into(),
            })?;
        kube::Client::try_from(config).map_err(|source| Error::Client { url, source })
    }
}
