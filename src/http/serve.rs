//! The serve loop: HTTP/1.1 connections on hyper directly, with a header read timeout and a
//! graceful drain.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

/// How the server treats connections; every bound has an environment override (README,
/// Configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// How long a client may take to send a request's headers, counted from when the server
    /// starts waiting for them, so it is also how long an idle keep-alive connection stays open.
    /// A slowloris client trickling bytes is closed after this.
    pub header_timeout: Duration,
    /// How long requests in flight may take to finish after a shutdown signal.
    pub drain_timeout: Duration,
}

impl ServeLimits {
    /// `HEADER_TIMEOUT_SECS` when unset.
    pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 30;
    /// `DRAIN_SECS` when unset.
    pub const DEFAULT_DRAIN_SECS: u64 = 10;
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(Self::DEFAULT_HEADER_TIMEOUT_SECS),
            drain_timeout: Duration::from_secs(Self::DEFAULT_DRAIN_SECS),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight finish
/// for at most [`ServeLimits::drain_timeout`] and closes idle connections.
///
/// HTTP/1.1 only (what Yemot, proxies and curl speak), on hyper directly because `axum::serve`
/// does not expose hyper's header read timeout, the defence against slowloris clients.
///
/// # Errors
///
/// None today; the `Result` leaves room for listener faults that should stop the server.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ServeLimits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors or similar: wait instead of spinning.
                    tracing::error!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // One small answer per request: send it at once rather than wait on Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(
            TokioIo::new(super::request_line::Spaces::new(stream)),
            TowerToHyperService::new(router.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or times out is not a server fault: nothing to log.
            let _ = connection.await;
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("requests still running after the drain timeout were cut off");
        }
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM (what Render and Docker send to stop a service).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
