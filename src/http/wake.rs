//! A connection's own wakes, kept inside its task.
//!
//! While hyper answers a request it wakes its own connection: the request body's channel wakes
//! the connection when the handler drops the body, from inside the very poll that runs the
//! handler. Through Tokio that wake schedules the running task again, and a worker that is
//! running a task it was asked to schedule tells an idle worker to look for work: an eventfd
//! write, a futex and two `epoll_wait`s per request on a keep-alive connection, for nothing
//! (`bench/count.py` shows them as syscalls per request). [`Absorbing`] polls the connection with
//! a waker of its own that, while the connection is being polled, only notes the wake and polls
//! again before returning; any other wake (the socket, a timer, Redis) goes to the task's
//! waker as before.
//!
//! A few times only: a future also wakes itself to yield (hyper does, after answering a run of
//! pipelined requests in one poll), and a future that waits that way for other tasks to run
//! would spin if polled again at once for ever. Past `MAX_AGAIN` polls the wake goes to the
//! task, which yields to the scheduler.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// Polls again at once, per poll of the task, before a self-wake is passed on: one answer's
/// wake needs one; more means the future is yielding.
const MAX_AGAIN: usize = 4;

/// The wake state one connection shares with its waker.
#[derive(Default)]
struct Wakes {
    /// The connection is being polled: a wake now is noted, not passed on.
    polling: AtomicBool,
    /// A wake came since the current poll began.
    woken: AtomicBool,
    /// The task's own waker, for wakes from outside a poll.
    task: AtomicWaker,
}

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Noted first, then passed on unless a poll is running: that poll sees the note before
        // it returns (it reads `woken` after clearing `polling`), so no wake is lost.
        self.woken.store(true, SeqCst);
        if !self.polling.load(SeqCst) {
            self.task.wake();
        }
    }
}

pin_project_lite::pin_project! {
    /// `inner`, polled again at once when it woke itself while being polled.
    pub struct Absorbing<F> {
        #[pin]
        inner: F,
        wakes: Arc<Wakes>,
        waker: Waker,
    }
}

impl<F> Absorbing<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> Self {
        let wakes = Arc::new(Wakes::default());
        Self {
            inner,
            waker: Waker::from(wakes.clone()),
            wakes,
        }
    }

    /// The wrapped future.
    pub fn inner(self: Pin<&mut Self>) -> Pin<&mut F> {
        self.project().inner
    }
}

impl<F: Future> Future for Absorbing<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        this.wakes.task.register(cx.waker());
        let mut own = Context::from_waker(this.waker);
        for _ in 0..=MAX_AGAIN {
            this.wakes.polling.store(true, SeqCst);
            this.wakes.woken.store(false, SeqCst);
            let polled = this.inner.as_mut().poll(&mut own);
            this.wakes.polling.store(false, SeqCst);
            if polled.is_ready() {
                return polled;
            }
            if !this.wakes.woken.load(SeqCst) {
                return Poll::Pending;
            }
            // Woken during the poll (by itself, or by another thread meanwhile): go on now.
        }
        // Still waking itself: it is yielding. Back to the scheduler, to be polled again.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A future that wakes itself `n` times from inside its poll, then is done.
    struct SelfWaking(u32);

    impl Future for SelfWaking {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 == 0 {
                return Poll::Ready(());
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// Counts the task's wakes.
    #[derive(Default)]
    struct Count(std::sync::atomic::AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn wakes_given_inside_a_poll_never_reach_the_task() {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut future = std::pin::pin!(Absorbing::new(SelfWaking(3)));
        assert!(
            future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
        );
        assert_eq!(count.0.load(SeqCst), 0);
    }

    #[test]
    fn a_future_that_keeps_yielding_goes_back_to_the_scheduler() {
        // What a spent cooperative budget looks like: woken and pending, poll after poll.
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut future = std::pin::pin!(Absorbing::new(SelfWaking(u32::MAX)));
        assert!(
            future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        assert_eq!(
            count.0.load(SeqCst),
            1,
            "the task is woken to be polled again"
        );
        assert_eq!(
            future.as_mut().inner().0,
            u32::MAX - 1 - MAX_AGAIN as u32,
            "polled a bounded number of times"
        );
    }

    #[tokio::test]
    async fn pipelined_requests_are_all_answered() {
        // A thousand requests in one write, answered by one task that wakes itself on the way.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        tokio::spawn(super::super::serve(
            listener,
            app,
            std::future::pending(),
            crate::config::ServeLimits::default(),
        ));
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let one = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut all = one.repeat(999);
        all.push_str("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(all.as_bytes()).await.unwrap();
        let mut answers = String::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            stream.read_to_string(&mut answers),
        )
        .await
        .expect("answered within 20 s")
        .unwrap();
        assert_eq!(answers.matches("HTTP/1.1 200 OK").count(), 1000);
    }

    #[test]
    fn a_wake_from_outside_a_poll_reaches_the_task() {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut future = std::pin::pin!(Absorbing::new(rx));
        assert!(
            future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let sender = std::thread::spawn(move || tx.send(()).unwrap());
        sender.join().unwrap();
        assert_eq!(count.0.load(SeqCst), 1, "the task is told");
        assert!(
            future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
        );
    }
}
