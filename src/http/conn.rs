//! Spaces inside a request target, made acceptable before hyper parses them.
//!
//! Yemot most likely joins ext.ini values into a GET query as written: a key pasted in groups
//! (`secret=qlt6 vmy6 …`) puts raw spaces into the request line, `GET /api/2fa?secret=qlt6
//! vmy6 HTTP/1.1`, which hyper refuses with 400, and the caller hears "no answer from API
//! server". [`Spaces`] wraps a connection and, in its first request line only, writes each
//! space between the method and the final ` HTTP/1.x` as `%20`, which the form decoder then
//! reads back as a space. Everything else passes through untouched: once the first line has
//! gone by, reads go straight to the socket.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The longest first line looked at: past it, the bytes pass as they are (hyper's own limits
/// then apply). A GET carrying a full menu of sealed tokens fits.
const MAX_LINE: usize = 64 * 1024;

/// A connection whose first request line is mended on the way in.
pub struct Spaces<S> {
    inner: S,
    state: State,
}

enum State {
    /// Still collecting the first line.
    Line(Vec<u8>),
    /// The first line (mended) and whatever came with it, being handed out.
    Replay(Vec<u8>, usize),
    /// Straight through.
    Through,
}

impl<S> Spaces<S> {
    /// Wraps a new connection.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            state: State::Line(Vec::new()),
        }
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

impl<S: AsyncRead + Unpin> AsyncRead for Spaces<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Through => return Pin::new(&mut this.inner).poll_read(cx, out),
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

impl<S: AsyncWrite + Unpin> AsyncWrite for Spaces<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
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
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
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

    #[tokio::test]
    async fn only_the_first_line_is_mended_and_the_rest_passes_whole() {
        use tokio::io::AsyncReadExt;
        let input = b"GET /x?a=1 2 HTTP/1.1\r\nHost: a b\r\n\r\nbody with spaces".to_vec();
        let mut wrapped = Spaces::new(&input[..]);
        let mut out = Vec::new();
        wrapped.read_to_end(&mut out).await.unwrap();
        assert_eq!(
            out,
            b"GET /x?a=1%202 HTTP/1.1\r\nHost: a b\r\n\r\nbody with spaces"
        );
    }
}
