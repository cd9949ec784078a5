//! The listener's `tracing` events: an admitted connection, a refusal with its reason, a
//! transient accept error, and the shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use dime_net::{Accept, EdgeConfig, Listener, refuse_with_line};
use dime_testkit::Recorder;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// One accept error (EMFILE), then real accepts.
struct OnceFlaky {
    inner: TcpListener,
    failed: Mutex<bool>,
}

impl Accept for OnceFlaky {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let mut failed = self.failed.lock().unwrap();
        if !*failed {
            *failed = true;
            return Poll::Ready(Err(io::Error::from_raw_os_error(24)));
        }
        self.inner.poll_accept(cx)
    }
}

#[tokio::test]
async fn the_listener_reports_admissions_refusals_errors_and_shutdown() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());

    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let config = EdgeConfig::new().with_max_per_source(1).with_accept_backoff(Duration::from_millis(5));
    let listener = Listener::new(OnceFlaky { inner: tcp, failed: Mutex::new(false) }, config);
    let handle = listener.handle();
    let run = tokio::spawn(listener.run(
        |mut tcp, _| async move {
            let mut sink = [0u8; 1];
            let _ = tcp.read(&mut sink).await;
        },
        |tcp, _| refuse_with_line(tcp, b"BUSY\r\n"),
    ));

    let _first = TcpStream::connect(addr).await.unwrap();
    while handle.stats().open == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut second = TcpStream::connect(addr).await.unwrap();
    let mut refusal = String::new();
    second.read_to_string(&mut refusal).await.unwrap();
    assert_eq!(refusal, "BUSY\r\n");
    handle.shutdown(Duration::ZERO);
    run.await.unwrap().unwrap();

    let lines = recorder.lines();
    let find = |prefix: &str| lines.iter().find(|l| l.starts_with(prefix)).cloned();
    let transient = find("WARN transient accept error").expect("no transient error event");
    assert!(transient.contains("backoff=5ms"), "{lines:?}");
    assert!(find("DEBUG connection admitted").is_some_and(|l| l.contains("peer=127.0.0.1:")), "{lines:?}");
    let refused = find("INFO connection refused").expect("no refusal event");
    assert!(refused.contains("refusal=SourceFull"), "{lines:?}");
    assert!(find("INFO listener shutting down").is_some_and(|l| l.contains("open=1")), "{lines:?}");
}
