//! The three signet kinds and the field tables that say which ids each allows.

use dime_core::header::Magic;

/// Which kind of signet an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignetKind {
    /// An organizational signet (magic 1776).
    Org,
    /// A user signet (magic 1789).
    User,
    /// A user signet signing request, SSR (magic 1215).
    Request,
}

/// Whether a field may appear more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// At most once.
    Unique,
    /// Any number of adjacent instances.
    Repeatable,
}

/// One row of a field table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The field id.
    pub id: u8,
    /// The field's name in the reference implementation.
    pub name: &'static str,
    /// Whether the field may repeat.
    pub repeat: Repeat,
    /// Whether a signet that reaches this field's stage must carry it.
    pub required: bool,
}

const fn spec(id: u8, name: &'static str, repeat: Repeat, required: bool) -> FieldSpec {
    FieldSpec { id, name, repeat, required }
}

use Repeat::{Repeatable as R, Unique as U};

const COMMON: &[FieldSpec] = &[
    spec(16, "Name", U, false),
    spec(17, "Address", U, false),
    spec(18, "Province", U, false),
    spec(19, "Country", U, false),
    spec(20, "Postal-Code", U, false),
    spec(21, "Phone-Number", R, false),
    spec(22, "Language", U, false),
    spec(23, "Currency", U, false),
    spec(24, "Cryptocurrency", U, false),
    spec(25, "Motto", U, false),
    spec(26, "Extensions", U, false),
    spec(27, "Message-Size-Limit", U, false),
];

const TAIL: &[FieldSpec] = &[
    spec(251, "Undefined-Field", R, false),
    spec(252, "Photo", U, false),
    spec(253, "Full-Signature", U, true),
    spec(254, "Signet-Identifier", U, true),
    spec(255, "Identifiable-Signature", U, true),
];

const ORG_KEYS: &[FieldSpec] = &[
    spec(1, "Primary-Organizational-Key", U, true),
    spec(2, "Secondary-Organizational-Key", R, false),
    spec(3, "Encryption-Key", U, true),
    spec(4, "Organizational-Signature", U, true),
];

const ORG_INFO: &[FieldSpec] = &[
    spec(160, "Website", U, false),
    spec(200, "Contact-Abuse", U, false),
    spec(201, "Contact-Admin", U, false),
    spec(202, "Contact-Support", U, false),
    spec(203, "Web-Access-Host", U, false),
    spec(204, "Web-Access-Location", U, false),
    spec(205, "Web-Access-Certificate", U, false),
    spec(206, "Mail-Access-Host", U, false),
    spec(207, "Mail-Access-Certificate", U, false),
    spec(208, "Onion-Access-Host", U, false),
    spec(209, "Onion-Access-Certificate", U, false),
    spec(210, "Onion-Delivery-Host", U, false),
    spec(211, "Onion-Delivery-Certificate", U, false),
];

const USER_KEYS: &[FieldSpec] = &[
    spec(1, "Signing-Key", U, true),
    spec(2, "Encryption-Key", U, true),
    spec(3, "Alternate-Encryption-Key", R, false),
    spec(4, "Custody-Signature", U, false),
    spec(5, "User-Signature", U, true),
    spec(6, "Organizational-Signature", U, true),
];

const USER_INFO: &[FieldSpec] = &[
    spec(93, "Supported-Codecs", U, false),
    spec(94, "Title", U, false),
    spec(95, "Employer", U, false),
    spec(96, "Gender", U, false),
    spec(97, "Alma-Mater", U, false),
    spec(98, "Supervisor", U, false),
    spec(99, "Political-Party", U, false),
    spec(160, "Website", U, false),
    spec(200, "Alternate-Address", U, false),
    spec(201, "Resume", U, false),
    spec(202, "Endorsements", R, false),
];

const REQUEST: &[FieldSpec] = &[
    spec(1, "User-Signing-Key", U, true),
    spec(2, "User-Encryption-Key", U, true),
    spec(3, "Alternate-Encryption-Key", R, false),
    spec(4, "Chain-Of-Custody-Signature", U, false),
    spec(5, "User-Ssr-Signature", U, true),
];

/// Field ids with a fixed meaning across kinds.
pub mod ids {
    /// Signing key (org POK, user signing key).
    pub const SIGNING_KEY: u8 = 1;
    /// Org secondary organizational keys (SOKs).
    pub const SECONDARY_KEY: u8 = 2;
    /// User/SSR alternate encryption keys (repeatable, opaque; carries the hybrid key).
    pub const ALTERNATE_KEY: u8 = 3;
    /// Org crypto signature.
    pub const ORG_CRYPTO_SIGNATURE: u8 = 4;
    /// User/SSR chain-of-custody signature.
    pub const CUSTODY_SIGNATURE: u8 = 4;
    /// User/SSR self signature.
    pub const USER_SIGNATURE: u8 = 5;
    /// User crypto signature by the organization.
    pub const USER_CRYPTO_SIGNATURE: u8 = 6;
    /// Name (common informational field).
    pub const NAME: u8 = 16;
    /// Phone number (repeatable).
    pub const PHONE: u8 = 21;
    /// Undefined (name/value) field.
    pub const UNDEFINED: u8 = 251;
    /// Photo (PNG).
    pub const PHOTO: u8 = 252;
    /// Full signature.
    pub const FULL_SIGNATURE: u8 = 253;
    /// Signet identifier (domain or address).
    pub const IDENTIFIER: u8 = 254;
    /// Identifiable signature.
    pub const ID_SIGNATURE: u8 = 255;
}

impl SignetKind {
    /// The magic number of this kind.
    pub const fn magic(self) -> Magic {
        match self {
            SignetKind::Org => Magic::OrgSignet,
            SignetKind::User => Magic::UserSignet,
            SignetKind::Request => Magic::SigningRequest,
        }
    }

    /// The kind for a magic number, if it is a signet.
    pub const fn from_magic(magic: Magic) -> Option<SignetKind> {
        match magic {
            Magic::OrgSignet => Some(SignetKind::Org),
            Magic::UserSignet => Some(SignetKind::User),
            Magic::SigningRequest => Some(SignetKind::Request),
            _ => None,
        }
    }

    /// A lower-case name for messages and JSON (`org`, `user`, `ssr`).
    pub const fn name(self) -> &'static str {
        match self {
            SignetKind::Org => "org",
            SignetKind::User => "user",
            SignetKind::Request => "ssr",
        }
    }

    /// Id of the encryption-key field.
    pub const fn encryption_key_id(self) -> u8 {
        match self {
            SignetKind::Org => 3,
            SignetKind::User | SignetKind::Request => 2,
        }
    }

    /// Id of the signature that makes this kind "crypto" (org 4, user 6, SSR 5).
    pub const fn crypto_signature_id(self) -> u8 {
        match self {
            SignetKind::Org => 4,
            SignetKind::User => 6,
            SignetKind::Request => 5,
        }
    }

    /// Every field this kind defines, in id order.
    pub fn fields(self) -> impl Iterator<Item = &'static FieldSpec> {
        // Each table is sorted and the four parts follow each other in id order.
        let parts: [&'static [FieldSpec]; 4] = match self {
            SignetKind::Org => [ORG_KEYS, COMMON, ORG_INFO, TAIL],
            SignetKind::User => [USER_KEYS, COMMON, USER_INFO, TAIL],
            SignetKind::Request => [REQUEST, &[], &[], &[]],
        };
        parts.into_iter().flatten()
    }

    /// The table row for `id`, if this kind defines it.
    pub fn lookup(self, id: u8) -> Option<&'static FieldSpec> {
        self.fields().find(|s| s.id == id)
    }

    /// Whether `id` is one of this kind's signature fields.
    pub fn is_signature(self, id: u8) -> bool {
        match self {
            SignetKind::Org => matches!(id, 4 | 253 | 255),
            SignetKind::User => matches!(id, 4 | 5 | 6 | 253 | 255),
            SignetKind::Request => matches!(id, 4 | 5),
        }
    }

    /// Whether lenient parsing may accept an id this kind does not define: only the generic
    /// informational range 16–250 of org and user signets.
    pub fn is_generic(self, id: u8) -> bool {
        self != SignetKind::Request && (16..=250).contains(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        for kind in [SignetKind::Org, SignetKind::User, SignetKind::Request] {
            let ids: Vec<u8> = kind.fields().map(|s| s.id).collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{kind:?}: {ids:?}");
            assert_eq!(kind.lookup(kind.crypto_signature_id()).map(|s| s.required), Some(true));
        }
        assert_eq!(SignetKind::Org.fields().count(), 4 + 12 + 13 + 5);
        assert_eq!(SignetKind::User.lookup(21).map(|s| s.repeat), Some(Repeat::Repeatable));
        assert_eq!(SignetKind::Request.lookup(16), None);
    }
}
