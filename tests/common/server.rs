//! The one way tests start a server on a real socket: bind port 0 before spawning (no sleep
//! needed), serve through the same `serve` as `main`, stop through its shutdown future.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use yemot_2fa::http::App;
use yemot_2fa::{AppState, ServeLimits, app, serve};

/// A server of the test's own.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://<addr>`.
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// The app of `state`, with the default connection bounds.
    pub async fn start(state: AppState) -> Self {
        Self::start_router(app(state), ServeLimits::default()).await
    }

    /// Any app (or router), within `limits`.
    pub async fn start_router(router: impl Into<App>, limits: ServeLimits) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(
            listener,
            router.into(),
            async {
                let _ = stopped.await;
            },
            limits,
        ));
        Self {
            addr,
            base: format!("http://{addr}"),
            stop: Some(stop),
            task,
        }
    }

    /// The address of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Leaves the server running until the test's runtime ends; its address. (Dropping a
    /// `TestServer` stops it, as its stop signal goes with it.)
    pub fn keep(mut self) -> SocketAddr {
        std::mem::forget(self.stop.take());
        self.addr
    }

    /// Tells the server to stop, as SIGTERM does; it drains what is in flight.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for the server to finish after [`TestServer::stop`], and proves it did so
    /// cleanly and within 5 s.
    pub async fn finished(self) {
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the server stops within 5 s")
            .unwrap()
            .unwrap();
    }

    /// Stops the server and proves it finished cleanly and in time, and that nothing listens
    /// after it.
    pub async fn shutdown(mut self) {
        self.stop();
        let addr = self.addr;
        self.finished().await;
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "nothing listens after shutdown"
        );
    }
}
