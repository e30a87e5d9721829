//! The admission server: an axum `Router` with `POST /mutate` (reading at most
//! [`MAX_BODY_BYTES`] of the body, answering through [`review::answer`]) served over rustls on
//! the `--listen` address, HTTP/1.1 and HTTP/2, with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use http_body_util::BodyExt;

use crate::app::App;
use crate::review::{self, MAX_BODY_BYTES};
use crate::tls::{self, ReloadingCert};

/// `--listen`: the TLS port the Service targets.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8443";
/// Path the MutatingWebhookConfiguration's `clientConfig.service.path` names.
pub const MUTATE_PATH: &str = "/mutate";

/// The admission routes (what tests drive in-process with `oneshot`).
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(MUTATE_PATH, post(mutate))
        .with_state(app)
}

async fn mutate(State(app): State<Arc<App>>, body: Body) -> Response {
    let (bytes, oversized) = match read_limited(body, MAX_BODY_BYTES).await {
        Ok(read) => read,
        Err(e) => {
            app.metrics.review(crate::metrics::Outcome::BadRequest, 0.0);
            return (
                StatusCode::BAD_REQUEST,
                format!("rightsize: bad request: the body could not be read: {e}\n"),
            )
                .into_response();
        }
    };
    let start = Instant::now();
    let answer = review::answer(&bytes, oversized, &app);
    app.metrics
        .review(answer.outcome, start.elapsed().as_secs_f64());
    app.metrics.patch_operations(answer.patch_operations);
    let content_type = if answer.is_review() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, [(header::CONTENT_TYPE, content_type)], answer.body).into_response()
}

/// The body up to `limit` bytes, and whether there was more (the rest is not read).
async fn read_limited(body: Body, limit: usize) -> Result<(Vec<u8>, bool), axum::Error> {
    let mut body = body;
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue; // trailers
        };
        if buf.len() + data.len() > limit {
            buf.extend_from_slice(&data[..limit - buf.len()]);
            return Ok((buf, true));
        }
        buf.extend_from_slice(&data);
    }
    Ok((buf, false))
}

/// How long in-flight requests may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A bound TLS server; `serve` runs it until `handle.graceful_shutdown`.
pub struct TlsServer {
    pub handle: Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TlsServer {
    /// Binds `addr` and serves `router` with the certificate of `cert`.
    pub async fn start(
        addr: SocketAddr,
        cert: Arc<ReloadingCert>,
        router: Router,
    ) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind(addr)?;
        Self::start_on(listener, cert, router)
    }

    /// Serves on a listener bound beforehand (so its address can be handed out first).
    pub fn start_on(
        listener: std::net::TcpListener,
        cert: Arc<ReloadingCert>,
        router: Router,
    ) -> anyhow::Result<Self> {
        listener.set_nonblocking(true)?;
        let config = RustlsConfig::from_config(Arc::new(tls::server_config(cert)?));
        let handle = Handle::new();
        let server = axum_server::from_tcp_rustls(listener, config)?.handle(handle.clone());
        let task = tokio::spawn(async move { server.serve(router.into_make_service()).await });
        Ok(Self { handle, task })
    }

    /// The bound address, once listening (`None` if binding failed).
    pub async fn local_addr(&self) -> Option<SocketAddr> {
        self.handle.listening().await
    }

    /// Stops accepting, lets requests in flight finish for `grace`, then waits for the end.
    pub async fn shutdown(self, grace: Duration) -> anyhow::Result<()> {
        self.handle.graceful_shutdown(Some(grace));
        Ok(self.task.await??)
    }

    /// Waits until the server ends by itself (an accept error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        Ok((&mut self.task).await??)
    }
}
