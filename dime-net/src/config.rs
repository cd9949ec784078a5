use std::time::Duration;

/// The limits of one listener. `docs/decisions.md` ("Network edges") says why each default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EdgeConfig {
    /// Connections served at once by this listener; the next one is refused. Default 4,096.
    pub max_connections: usize,
    /// Connections served at once for one source (an IPv4 address, or an IPv6 /64); the next
    /// one from it is refused. Default 32.
    pub max_per_source: usize,
    /// The TLS handshake's deadline, from accept (implicit TLS) or from the upgrade command
    /// (STARTTLS) to the finished handshake; also bounds writing a refusal. Default 10 s.
    pub handshake_timeout: Duration,
    /// The pause after a transient accept error before the next accept. Default 100 ms.
    pub accept_backoff: Duration,
    /// Refusals being written at once; connections over the cap beyond these are closed without
    /// a word. Default 64.
    pub max_refusing: usize,
}

impl EdgeConfig {
    /// The defaults.
    pub const fn new() -> EdgeConfig {
        EdgeConfig {
            max_connections: 4096,
            max_per_source: 32,
            handshake_timeout: Duration::from_secs(10),
            accept_backoff: Duration::from_millis(100),
            max_refusing: 64,
        }
    }

    /// With another per-listener cap.
    pub const fn with_max_connections(mut self, max: usize) -> EdgeConfig {
        self.max_connections = max;
        self
    }

    /// With another per-source cap.
    pub const fn with_max_per_source(mut self, max: usize) -> EdgeConfig {
        self.max_per_source = max;
        self
    }

    /// With another handshake deadline.
    pub const fn with_handshake_timeout(mut self, timeout: Duration) -> EdgeConfig {
        self.handshake_timeout = timeout;
        self
    }

    /// With another pause after a transient accept error.
    pub const fn with_accept_backoff(mut self, backoff: Duration) -> EdgeConfig {
        self.accept_backoff = backoff;
        self
    }

    /// With another cap on refusals written at once.
    pub const fn with_max_refusing(mut self, max: usize) -> EdgeConfig {
        self.max_refusing = max;
        self
    }
}

impl Default for EdgeConfig {
    fn default() -> EdgeConfig {
        EdgeConfig::new()
    }
}
