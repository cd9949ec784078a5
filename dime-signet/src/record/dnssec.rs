//! DNSSEC status of a TXT answer and the caller's policy on it.

use super::error::RecordError;

/// What DNSSEC validation said about the TXT answer at `_dx.<domain>`. The resolver decides
/// it; this crate never sees the RRSIGs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DnssecStatus {
    /// Signed, and the signature chains to a trust anchor and covers exactly `_dx.<domain>`.
    Secure,
    /// Provably unsigned (no RRSIG, or no DNSSEC answer at all).
    Insecure,
    /// A signature was present but failed, or the chain is broken.
    Bogus,
}

/// The caller's rule for which DNSSEC statuses are acceptable.
///
/// The default refuses unsigned records: [`RecordPolicy::allow_insecure`] must be set
/// explicitly to accept them. A bogus answer is refused under every policy.
///
/// Start from [`RecordPolicy::default`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RecordPolicy {
    /// Accept [`DnssecStatus::Insecure`] answers.
    pub allow_insecure: bool,
}

impl RecordPolicy {
    /// The policy that also accepts unsigned records (as libdime does).
    pub const PERMISSIVE: RecordPolicy = RecordPolicy { allow_insecure: true };

    /// Decides whether an answer with this status may be used.
    ///
    /// Errors: [`RecordError::DnssecBogus`] always for [`DnssecStatus::Bogus`];
    /// [`RecordError::DnssecInsecure`] for [`DnssecStatus::Insecure`] unless allowed.
    pub fn check(&self, status: DnssecStatus) -> Result<(), RecordError> {
        match status {
            DnssecStatus::Secure => Ok(()),
            DnssecStatus::Insecure if self.allow_insecure => Ok(()),
            DnssecStatus::Insecure => Err(RecordError::DnssecInsecure),
            DnssecStatus::Bogus => Err(RecordError::DnssecBogus),
        }
    }
}
