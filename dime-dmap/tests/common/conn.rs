//! A line-based client over loopback TCP for the tests that run the tokio driver: read a line
//! within a deadline, send text, log in with STACIE.

use std::time::Duration;

use dime_core::stacie::{Password, Username};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{PASSWORD, b64, decode_challenge};

/// A connection to a test server.
pub type Conn = BufReader<TcpStream>;

/// The next line, within 10 seconds (a failure otherwise).
pub async fn line(conn: &mut Conn) -> String {
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_line(&mut line)).await.expect("a line in time").unwrap();
    line
}

/// Sends `text` as it is.
pub async fn send(conn: &mut Conn, text: &str) {
    conn.get_mut().write_all(text.as_bytes()).await.unwrap();
}

/// Connects in the clear (the test sessions allow it) and logs `user` in with STACIE, the
/// user name as the initial response.
pub async fn login(addr: std::net::SocketAddr, user: &str) -> Conn {
    let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert!(line(&mut conn).await.starts_with("* OK"));
    send(&mut conn, &format!("L AUTHENTICATE STACIE {}\r\n", b64(user.as_bytes()))).await;
    let challenge = decode_challenge(&line(&mut conn).await);
    let token =
        challenge.answer(&Username::new(user.as_bytes()).unwrap(), &Password::new(PASSWORD.as_bytes()).unwrap());
    send(&mut conn, &format!("{}\r\n", b64(token.as_bytes()))).await;
    assert!(line(&mut conn).await.starts_with("L OK"));
    conn
}
