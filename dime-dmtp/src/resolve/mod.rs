//! Signet resolution as a sans-IO planner: the decisions of protocols.md §5 and §8 as pure
//! functions over their inputs, plus a cache. The DNS answers, the TCP connections, the TLS
//! handshake and the DMTP sessions are the caller's (see the `driver` module for one).
//!
//! The order a resolver follows (`docs/dmtp.md`, "Signet resolution"):
//!
//! 1. name → domain ([`Name::domain`](crate::wire::Name::domain)); cached signet that has the
//!    requested fingerprint? ([`SignetCache::signet`]): fresh → done, stale → `VRFY`;
//! 2. the `_dx` record (cache or DNS) under the DNSSEC policy; MX answers when it has no `dx=`,
//!    used only as [`check_answer`] allows;
//! 3. [`plan_targets`] → the addresses of each target, used only as [`check_answer`] allows →
//!    connect in order; [`check_certificate`] on each certificate;
//! 4. `SGNT <domain>` → [`validate_org`]; for a user, `SGNT <address> [fp]` → [`validate_user`]
//!    (with the cached previous signet, if any); `HIST` → [`walk_history`];
//! 5. [`SignetCache::store_signet`].

mod answers;
mod cache;
mod certificate;
mod plan;
mod signets;

pub use answers::{Answer, AnswerType, BOGUS_ANSWER, INSECURE_ADDRESS, INSECURE_MX, check_answer};
pub use cache::{CacheLookup, CachePolicy, SignetCache};
pub use certificate::{CertificateTrust, PresentedCertificate, check_certificate};
pub use plan::{DxTarget, MAX_MX, MxHost, Ports, plan_targets};
pub(crate) use signets::binding_error;
pub use signets::{MIN_STATE, has_fingerprint, validate_org, validate_user, walk_history};
