//! Unicode's Default_Ignorable_Code_Point property, used to count password characters.
//!
//! The table lists every code point that has the property, assigned or not, as inclusive
//! ranges merged from `DerivedCoreProperties.txt` of Unicode 15.0.0 (checked code point by code
//! point against that file). The format characters (Cf) of Unicode 17.0 are the same as in
//! 15.0, so the later versions add nothing that we know of; if a future version does, the
//! table and the rounds of affected passwords change, which `docs/stacie.md` notes.
//!
//! Why not a crate: ICU4X's `icu_properties` has the property, but it brings about a dozen
//! crates and its current release needs a newer Rust than this workspace's minimum (1.85),
//! for 17 ranges that rarely change.

/// Inclusive code point ranges with Default_Ignorable_Code_Point, sorted and not adjacent.
const DEFAULT_IGNORABLE: [(u32, u32); 17] = [
    (0x00AD, 0x00AD),   // SOFT HYPHEN
    (0x034F, 0x034F),   // COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),   // ARABIC LETTER MARK
    (0x115F, 0x1160),   // HANGUL CHOSEONG FILLER, HANGUL JUNGSEONG FILLER
    (0x17B4, 0x17B5),   // KHMER VOWEL INHERENT AQ, AA
    (0x180B, 0x180F),   // MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEPARATOR
    (0x200B, 0x200F),   // ZERO WIDTH SPACE .. RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),   // bidi embeddings and overrides
    (0x2060, 0x206F),   // WORD JOINER .. NOMINAL DIGIT SHAPES (2065 unassigned)
    (0x3164, 0x3164),   // HANGUL FILLER
    (0xFE00, 0xFE0F),   // VARIATION SELECTOR-1 .. 16
    (0xFEFF, 0xFEFF),   // ZERO WIDTH NO-BREAK SPACE (byte order mark)
    (0xFFA0, 0xFFA0),   // HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),   // unassigned
    (0x1BCA0, 0x1BCA3), // SHORTHAND FORMAT controls
    (0x1D173, 0x1D17A), // MUSICAL SYMBOL BEGIN BEAM .. END PHRASE
    (0xE0000, 0xE0FFF), // tags, VARIATION SELECTOR-17 .. 256, and unassigned
];

/// Whether `c` has Unicode's Default_Ignorable_Code_Point property.
pub fn is_default_ignorable(c: char) -> bool {
    let c = u32::from(c);
    let after = DEFAULT_IGNORABLE.partition_point(|&(first, _)| first <= c);
    after.checked_sub(1).and_then(|i| DEFAULT_IGNORABLE.get(i)).is_some_and(|&(_, last)| c <= last)
}

/// Number of code points in `text` that are not default-ignorable.
pub fn count_non_ignorable(text: &str) -> usize {
    text.chars().filter(|&c| !is_default_ignorable(c)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(c: u32) -> char {
        char::from_u32(c).unwrap()
    }

    #[test]
    fn table_is_sorted_and_merged() {
        for pair in DEFAULT_IGNORABLE.windows(2) {
            let [(a_first, a_last), (b_first, _)] = pair else { unreachable!() };
            assert!(a_first <= a_last);
            assert!(a_last + 1 < *b_first, "{a_last:x} and {b_first:x} should be one range");
        }
    }

    #[test]
    fn every_range_edge() {
        for &(first, last) in &DEFAULT_IGNORABLE {
            assert!(is_default_ignorable(ch(first)), "{first:x}");
            assert!(is_default_ignorable(ch(last)), "{last:x}");
            assert!(!is_default_ignorable(ch(first - 1)), "{:x}", first - 1);
            if let Some(after) = char::from_u32(last + 1) {
                assert!(!is_default_ignorable(after), "{:x}", last + 1);
            }
        }
    }

    #[test]
    fn well_known_members_and_non_members() {
        // Members, including unassigned ones.
        for c in [0xFEFF, 0x200D, 0x2065, 0xFFF5, 0xE0001, 0xE01EF, 0xE0FFF, 0x180E] {
            assert!(is_default_ignorable(ch(c)), "{c:x}");
        }
        // Format or space characters that are not default-ignorable.
        for c in [
            0x0000, 0x0009, 0x0020, 0x00A0, 0x0600, 0x06DD, 0x2028, 0x3000, 0xFFF9, 0xFFFC, 0x13430, 0xE1000, 0x10FFFF,
            0x0041, 0x00E1,
        ] {
            assert!(!is_default_ignorable(ch(c)), "{c:x}");
        }
    }

    #[test]
    fn counts_skip_ignorables() {
        assert_eq!(count_non_ignorable(""), 0);
        assert_eq!(count_non_ignorable("\u{FEFF}p\u{E1}ssword"), 8);
        assert_eq!(count_non_ignorable("a\u{200B}b\u{E0041}\u{FE0F}"), 2);
        assert_eq!(count_non_ignorable("\u{AD}\u{E0FFF}"), 0);
        assert_eq!(count_non_ignorable("\u{6211}\u{7231}\u{4F60}"), 3);
    }
}
