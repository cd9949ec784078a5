//! The round rule: how many hash rounds a password gets.
//!
//! `rounds = clamp(8, 2^24, 2^(24 − clamp(1, 23, L)) + bonus)`, where `L` is the number of code
//! points of the password that are not default-ignorable ([`Password::chars`]). Short
//! passwords get many rounds, long ones few; the server's per-user bonus adds more. Any bonus
//! is accepted here and clamped by the formula; [`super::Credentials`] refuses to create
//! credentials with a bonus above [`super::MAX_BONUS`].

use super::params::Password;
use super::{MAX_ROUNDS, MIN_ROUNDS};

/// A round count produced by the round rule, always in `8..=2^24`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rounds(u32);

impl Rounds {
    /// Applies the round rule to `password` and `bonus`.
    pub fn new(password: &Password<'_>, bonus: u32) -> Rounds {
        // clamp(1, 23, L), so the shift is 1..=23 and cannot overflow.
        let exponent = 24 - password.chars().clamp(1, 23);
        let raw = (1u64 << exponent) + u64::from(bonus);
        let clamped = raw.clamp(u64::from(MIN_ROUNDS), u64::from(MAX_ROUNDS));
        // The clamp keeps the value within u32; the fallback is unreachable.
        Rounds(u32::try_from(clamped).unwrap_or(MAX_ROUNDS))
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds(password: &str, bonus: u32) -> u32 {
        Rounds::new(&Password::new(password.as_bytes()).unwrap(), bonus).get()
    }

    #[test]
    fn exponent_and_clamps() {
        assert_eq!(rounds("A", 0), 1 << 23);
        assert_eq!(rounds("AB", 0), 1 << 22);
        assert_eq!(rounds(&"x".repeat(21), 0), 8);
        assert_eq!(rounds(&"x".repeat(22), 0), 8, "2^2 = 4 is raised to 8");
        assert_eq!(rounds(&"x".repeat(22), 5), 9);
        assert_eq!(rounds(&"x".repeat(23), 0), 8);
        assert_eq!(rounds(&"x".repeat(1000), 7), 9, "exponent floors at 1: 2 + 7");
        assert_eq!(rounds("A", u32::MAX), MAX_ROUNDS);
        assert_eq!(rounds("A", (1 << 23) - 1), MAX_ROUNDS - 1);
    }

    #[test]
    fn ignorables_do_not_count() {
        assert_eq!(rounds("\u{FEFF}A", 0), 1 << 23);
        assert_eq!(rounds("A\u{E0100}B", 0), 1 << 22);
    }
}
