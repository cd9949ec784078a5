//! Explicit size limits for everything read from the wire.

/// The largest payload a 3-byte length can declare.
pub const MAX_PAYLOAD_24: usize = 0xFF_FFFF;

/// Size limits applied while decoding. [`ObjectLimits::default`] is the format's own maximum for
/// signets and key files; protocol code should pass tighter values.
///
/// Start from [`ObjectLimits::default`] and set the fields to change: the struct is `#[non_exhaustive]`, so
/// fields added later are not a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectLimits {
    /// Largest whole object (header included), in bytes.
    pub max_object: usize,
    /// Largest number of fields one object may hold.
    pub max_fields: usize,
    /// Largest armored text, in bytes.
    pub max_armor: usize,
}

impl Default for ObjectLimits {
    fn default() -> Self {
        ObjectLimits { max_object: 5 + MAX_PAYLOAD_24, max_fields: 4096, max_armor: 24 * 1024 * 1024 }
    }
}
