//! One connection, as the serve loop hands it to hyper: its first request line mended, and a
//! deadline that closes it when the client keeps it busy without being answered.
//!
//! # Spaces in a request target
//!
//! Yemot most likely joins ext.ini values into a GET query as written: a key pasted in groups
//! (`secret=qlt6 vmy6 …`) puts raw spaces into the request line, `GET /api/2fa?secret=qlt6
//! vmy6 HTTP/1.1`, which hyper refuses with 400, and the caller hears "no answer from API
//! server". In its first request line only, [`Connection`] writes each space between the
//! method and the final ` HTTP/1.x` as `%20`, which the form decoder then reads back as a
//! space. Once the first line has gone by, reads go straight to the socket.
//!
//! # The deadline
//!
//! A connection must be answered within `HEADER_TIMEOUT_SECS` of its start or of its last
//! answer: a slowloris client trickling a header, and an idle keep-alive connection, are both
//! closed when it passes. One timer per connection, moved forward only when it fires early
//! (an answer was written since): a request costs a clock read, never a timer of its own.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The longest first line looked at: past it, the bytes pass as they are (hyper's own limits
/// then apply). A GET carrying a full menu of nine sealed tokens (about 10 KB) fits.
const MAX_LINE: usize = 16 * 1024;

/// What a connection has done, as the drain on shutdown needs to know it: whether bytes of a
/// request came in since its last answer, and whether it was ever answered. hyper's own
/// graceful shutdown closes a connection whose request head is not parsed yet as if it were
/// idle; the serve loop waits for such a request's answer instead.
#[derive(Debug, Default)]
pub struct Activity(AtomicU8);

impl Activity {
    const READ: u8 = 1;
    const ANSWERED: u8 = 2;

    /// Bytes of a request arrived since the last answer.
    pub fn request_on_its_way(&self) -> bool {
        self.0.load(Ordering::Relaxed) & Self::READ != 0
    }

    /// At least one answer went out.
    pub fn ever_answered(&self) -> bool {
        self.0.load(Ordering::Relaxed) & Self::ANSWERED != 0
    }
}

/// A connection whose first request line is mended on the way in, and which ends when it is
/// not answered in time.
pub struct Connection<S> {
    inner: S,
    state: State,
    patience: Duration,
    deadline: Instant,
    timer: Pin<Box<Sleep>>,
    activity: Arc<Activity>,
}

enum State {
    /// Still collecting the first line.
    Line(Vec<u8>),
    /// The first line (mended) and whatever came with it, being handed out.
    Replay(Vec<u8>, usize),
    /// Straight through.
    Through,
}

impl<S> Connection<S> {
    /// Wraps a new connection that must be answered within `patience`, again and again.
    pub fn new(inner: S, patience: Duration) -> Self {
        let deadline = Instant::now() + patience;
        Self {
            inner,
            state: State::Line(Vec::new()),
            patience,
            deadline,
            timer: Box::pin(tokio::time::sleep_until(deadline)),
            activity: Arc::default(),
        }
    }

    /// What the connection does, shared with whoever drains it.
    pub fn activity(&self) -> Arc<Activity> {
        self.activity.clone()
    }

    /// Whether the deadline has passed; arranges to be woken when it might.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        while self.timer.as_mut().poll(cx).is_ready() {
            if Instant::now() >= self.deadline {
                return true;
            }
            // Answered since the timer was set: wait for the later deadline instead.
            let deadline = self.deadline;
            self.timer.as_mut().reset(deadline);
        }
        false
    }
}

/// `line` with the spaces inside its target written as `%20`, if it has any.
fn mend(line: &[u8]) -> Option<Vec<u8>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let method_end = line.iter().position(|&b| b == b' ')?;
    let version_start = line.len().checked_sub(b" HTTP/1.1".len())?;
    let version = &line[version_start..];
    if !(version.starts_with(b" HTTP/1.") && version_start > method_end + 1) {
        return None;
    }
    let target = &line[method_end + 1..version_start];
    if !target.contains(&b' ') {
        return None;
    }
    let mut mended = Vec::with_capacity(line.len() + 16);
    mended.extend_from_slice(&line[..=method_end]);
    for &b in target {
        if b == b' ' {
            mended.extend_from_slice(b"%20");
        } else {
            mended.push(b);
        }
    }
    mended.extend_from_slice(version);
    Some(mended)
}

impl<S: AsyncRead + Unpin> AsyncRead for Connection<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.expired(cx) {
            return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
        }
        loop {
            match &mut this.state {
                State::Through => {
                    let before = out.filled().len();
                    let read = Pin::new(&mut this.inner).poll_read(cx, out);
                    if out.filled().len() > before {
                        this.activity.0.fetch_or(Activity::READ, Ordering::Relaxed);
                    }
                    return read;
                }
                State::Replay(bytes, at) => {
                    let n = out.remaining().min(bytes.len() - *at);
                    out.put_slice(&bytes[*at..*at + n]);
                    *at += n;
                    if *at == bytes.len() {
                        this.state = State::Through;
                    }
                    return Poll::Ready(Ok(()));
                }
                State::Line(collected) => {
                    let mut chunk = [0u8; 4096];
                    let mut read = ReadBuf::new(&mut chunk);
                    match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(())) => {}
                    }
                    let eof = read.filled().is_empty();
                    if !eof {
                        this.activity.0.fetch_or(Activity::READ, Ordering::Relaxed);
                    }
                    collected.extend_from_slice(read.filled());
                    let newline = collected.iter().position(|&b| b == b'\n');
                    if !(eof || newline.is_some() || collected.len() > MAX_LINE) {
                        continue;
                    }
                    let mut bytes = std::mem::take(collected);
                    if let Some(end) = newline
                        && let Some(mended) = mend(&bytes[..end])
                    {
                        let mut whole = mended;
                        whole.extend_from_slice(b"\r");
                        whole.extend_from_slice(&bytes[end..]);
                        bytes = whole;
                    }
                    this.state = if bytes.is_empty() {
                        State::Through
                    } else {
                        State::Replay(bytes, 0)
                    };
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> Connection<S> {
    /// An answer went out: the client has until `patience` from now for the next request.
    fn answered(&mut self) {
        self.deadline = Instant::now() + self.patience;
        self.activity.0.store(Activity::ANSWERED, Ordering::Relaxed);
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Connection<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.answered();
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.answered();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_in_the_target_become_percent_twenty() {
        assert_eq!(
            mend(b"GET /api/2fa?secret=qlt6 vmy6 svfx&x=1 HTTP/1.1\r").as_deref(),
            Some(&b"GET /api/2fa?secret=qlt6%20vmy6%20svfx&x=1 HTTP/1.1"[..])
        );
        for untouched in [
            &b"GET /api/2fa?secret=A HTTP/1.1\r"[..],
            b"POST /api/2fa HTTP/1.1",
            b"GET  HTTP/1.1",
            b"garbage",
            b"GET /a b HTTP/2.0",
        ] {
            assert_eq!(
                mend(untouched),
                None,
                "{:?}",
                String::from_utf8_lossy(untouched)
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_not_answered_in_time_ends_and_an_answer_moves_the_deadline() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};
        let (client, server) = duplex(1024);
        let mut connection = Connection::new(server, Duration::from_secs(30));
        let (mut client_read, mut client_write) = tokio::io::split(client);
        client_write.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let mut buf = [0u8; 64];
        assert!(connection.read(&mut buf).await.unwrap() > 0);
        // An answer at 20 s gives the client until 50 s.
        tokio::time::sleep(Duration::from_secs(20)).await;
        connection
            .write_all(b"HTTP/1.1 200 OK\r\n\r\n")
            .await
            .unwrap();
        let _ = client_read.read(&mut buf).await.unwrap();
        let started = Instant::now();
        let err = connection.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(30),
            "30 s after the answer"
        );
    }

    #[tokio::test]
    async fn only_the_first_line_is_mended_and_the_rest_passes_whole() {
        use tokio::io::AsyncReadExt;
        let input = b"GET /x?a=1 2 HTTP/1.1\r\nHost: a b\r\n\r\nbody with spaces".to_vec();
        let mut wrapped = Connection::new(&input[..], Duration::from_secs(5));
        let mut out = Vec::new();
        wrapped.read_to_end(&mut out).await.unwrap();
        assert_eq!(
            out,
            b"GET /x?a=1%202 HTTP/1.1\r\nHost: a b\r\n\r\nbody with spaces"
        );
    }
}
