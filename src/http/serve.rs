//! The serve loop: HTTP/1.1 connections on hyper directly, each bounded in number, in memory and
//! in time, and a drain on shutdown that answers every request the kernel had accepted.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use super::app::App;
use super::conn::{Activity, Connection};
use super::wake::Absorbing;

pub use crate::config::ServeLimits;

/// What a connection refused at `MAX_CONNECTIONS` is sent before it is closed.
const REFUSED: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/// How long, on shutdown, a connection that has sent nothing yet is given to send its request.
const FIRST_BYTES_GRACE: Duration = Duration::from_secs(1);

/// How long, on shutdown, no new connection must come before the listener closes.
const QUIET: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` completes. Then every connection finishes
/// the request it has begun (its first, for one that was never answered) and is closed, idle
/// ones at once; connections the kernel accepts meanwhile are answered once, with
/// `Connection: close`. The listener closes when all are done and none came for a moment, or
/// at [`ServeLimits::drain_timeout`].
///
/// HTTP/1.1 only (what Yemot, proxies and curl speak), on hyper directly because `axum::serve`
/// offers no bound on a connection's buffer or count, and hyper's own graceful shutdown closes
/// a connection whose request head has arrived but is not parsed yet.
///
/// # Errors
///
/// None today; the `Result` leaves room for listener faults that should stop the server.
pub async fn serve(
    listener: TcpListener,
    app: impl Into<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ServeLimits,
) -> std::io::Result<()> {
    serve_counting(listener, app.into(), shutdown, limits, Arc::default()).await
}

/// [`serve`], counting refused connections into `refused` (for `/metrics`).
///
/// # Errors
///
/// As [`serve`].
pub async fn serve_counting(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: ServeLimits,
    refused: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(ServeLimits::MAX_HEAD_BYTES)
        .keep_alive(true);
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop) = watch::channel(false);
    // Told each time a connection ends, so that the drain waits on that rather than a timer.
    let ended = Arc::new(Notify::new());
    let start = |http: &hyper::server::conn::http1::Builder, stream: TcpStream, place| {
        // One small answer per request: send it at once rather than wait on Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let io = Connection::new(stream, limits.header_timeout);
        let activity = io.activity();
        let connection = http.serve_connection(TokioIo::new(io), app.clone());
        tokio::spawn(run(
            connection,
            activity,
            stop.clone(),
            place,
            ended.clone(),
        ));
    };
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors or similar: wait instead of spinning.
                    tracing::error!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        match places.clone().try_acquire_owned() {
            Ok(place) => start(&http, stream, place),
            Err(_) => {
                refused.fetch_add(1, Ordering::Relaxed);
                let _ = stream.try_write(REFUSED);
            }
        }
    }
    // Stopping: what is in flight finishes, and what the kernel accepts meanwhile is answered
    // too, once. The listener closes when every connection is done and nobody new came for a
    // moment (traffic has moved away), or at the drain deadline.
    let _ = stopping.send(true);
    http.keep_alive(false);
    let deadline = tokio::time::Instant::now() + limits.drain_timeout;
    loop {
        let idle = places.available_permits() == limits.max_connections;
        tokio::select! {
            accepted = listener.accept() => {
                if let (Ok((stream, _)), Ok(place)) = (accepted, places.clone().try_acquire_owned()) {
                    start(&http, stream, place);
                }
            }
            () = tokio::time::sleep(QUIET), if idle => break,
            () = ended.notified(), if !idle => {}
            () = tokio::time::sleep_until(deadline) => {
                tracing::warn!("requests still running after the drain timeout were cut off");
                break;
            }
        }
    }
    drop(listener);
    Ok(())
}

/// Runs one connection; once the server stops, lets it finish the request it has begun, or
/// its first, then closes it, and tells `ended`.
async fn run<I, S>(
    connection: hyper::server::conn::http1::Connection<I, S>,
    activity: Arc<Activity>,
    mut stop: watch::Receiver<bool>,
    place: OwnedSemaphorePermit,
    ended: Arc<Notify>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::ResBody: http_body::Body + 'static,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut connection = std::pin::pin!(Absorbing::new(connection));
    // A client that goes away or times out is not a server fault: nothing to log.
    let stopped = tokio::select! {
        _ = connection.as_mut() => false,
        _ = stop.wait_for(|stop| *stop) => true,
    };
    if stopped {
        let grace = tokio::time::Instant::now() + FIRST_BYTES_GRACE;
        let mut grace_over = false;
        // What the connection is doing changes only while it is polled: look after each poll.
        let finished = loop {
            let in_grace = !grace_over;
            let settled = std::future::poll_fn(|cx| {
                if connection.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(true);
                }
                let first_may_come = in_grace && !activity.ever_answered();
                if activity.request_on_its_way() || first_may_come {
                    Poll::Pending
                } else {
                    Poll::Ready(false)
                }
            });
            tokio::select! {
                finished = settled => break finished,
                () = tokio::time::sleep_until(grace), if !grace_over => grace_over = true,
            }
        };
        if !finished {
            connection.as_mut().inner().graceful_shutdown();
            let _ = connection.as_mut().await;
        }
    }
    drop(place);
    ended.notify_one();
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
