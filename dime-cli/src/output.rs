//! Text and JSON rendering of signets and management records.

use core::fmt::Write as _;

use dime_core::Fingerprint;
use dime_core::base64;
use dime_signet::record::{MAX_TXT_STRING_LEN, ManagementRecord};
use dime_signet::{FingerprintKind, Signet, SignetError, SignetState, ids};
use serde_json::{Map, Value, json};

/// What a signet report shows besides the signet itself.
#[derive(Debug, Clone, Copy)]
pub enum Check<'a> {
    /// `inspect`: the structural state, no signature checked.
    Structure,
    /// `verify`: the validated state and, when validation failed, why.
    Validation(Option<&'a SignetError>),
}

/// A signet with the state to report (structural or validated).
#[derive(Debug, Clone, Copy)]
pub struct SignetReport<'a> {
    /// The signet.
    pub signet: &'a Signet,
    /// The state to show.
    pub state: SignetState,
    /// What kind of check produced the state.
    pub check: Check<'a>,
    /// Whether the identifier is bound: `id` reached against an anchor (`verify --pok`).
    pub bound: bool,
    /// Show fingerprints as hex instead of unpadded base64.
    pub hex: bool,
}

/// Replaces control characters with escapes so untrusted text cannot drive the terminal.
pub fn printable(text: &str) -> String {
    text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        out
    })
}

impl SignetReport<'_> {
    fn fingerprint_text(&self, fingerprint: &Fingerprint) -> String {
        if self.hex { fingerprint.to_hex() } else { fingerprint.to_string() }
    }

    /// The fingerprints this kind defines, in stage order.
    fn fingerprints(&self) -> impl Iterator<Item = (&'static str, String)> + '_ {
        FingerprintKind::ALL
            .into_iter()
            .filter_map(|kind| self.signet.fingerprint(kind).map(|fp| (kind.name(), self.fingerprint_text(&fp))))
    }

    fn identifier(&self) -> Option<String> {
        self.signet.unverified_identifier().map(|id| String::from_utf8_lossy(id).into_owned())
    }

    /// The JSON object: `kind`, `state`, `fingerprints`, `identifier`, `bound`, `fields` and,
    /// for `verify`, `problem`.
    pub fn json(&self) -> Value {
        let kind = self.signet.kind();
        let fingerprints: Map<String, Value> = self.fingerprints().map(|(k, v)| (k.to_string(), v.into())).collect();
        let fields: Vec<Value> = self
            .signet
            .fields()
            .map(|field| {
                let mut entry = Map::new();
                entry.insert("id".into(), field.id.into());
                entry.insert("name".into(), kind.lookup(field.id).map(|spec| spec.name).into());
                entry.insert("length".into(), field.data.len().into());
                if let Some(name) = field.name {
                    entry.insert("undefined_name".into(), String::from_utf8_lossy(name).into());
                }
                Value::Object(entry)
            })
            .collect();
        let mut out = Map::new();
        out.insert("kind".into(), kind.name().into());
        out.insert("state".into(), self.state.name().into());
        out.insert("fingerprints".into(), Value::Object(fingerprints));
        out.insert("identifier".into(), self.identifier().into());
        out.insert("bound".into(), self.bound.into());
        out.insert("fields".into(), fields.into());
        if let Check::Validation(problem) = self.check {
            out.insert("problem".into(), problem.map(ToString::to_string).into());
        }
        Value::Object(out)
    }

    /// The text form: one `name: value` line each, then the fields as a table.
    pub fn text(&self) -> String {
        let kind = self.signet.kind();
        let mut out = String::new();
        let _ = writeln!(out, "kind: {}", kind.name());
        let _ = writeln!(out, "state: {}", self.state);
        if let Check::Validation(Some(problem)) = self.check {
            let _ = writeln!(out, "problem: {problem}");
        }
        match self.identifier() {
            Some(identifier) => _ = writeln!(out, "identifier: {}", printable(&identifier)),
            None => out.push_str("identifier: (none)\n"),
        }
        out.push_str(if self.bound { "bound: yes\n" } else { "bound: no\n" });
        for (name, value) in self.fingerprints() {
            let _ = writeln!(out, "fingerprint {name}: {value}");
        }
        out.push_str("fields:\n");
        for field in self.signet.fields() {
            let name = kind.lookup(field.id).map_or("(unknown)", |spec| spec.name);
            let _ = write!(out, "  {:>3} {:<30} {:>8}", field.id, name, field.data.len());
            if let (ids::UNDEFINED, Some(label)) = (field.id, field.name) {
                let _ = write!(out, "  {}", printable(&String::from_utf8_lossy(label)));
            }
            out.push('\n');
        }
        out
    }
}

/// The JSON object of a record: `version`, `pok`, `tls`, `dx`, `expiry_days`, `policy`,
/// `subdomain`.
pub fn record_json(record: &ManagementRecord) -> Value {
    json!({
        "version": record.version().number(),
        "pok": record.poks().iter().map(|pok| pok.to_base64()).collect::<Vec<_>>(),
        "tls": record.tls().iter().map(|tls| base64::encode_unpadded(tls.as_bytes())).collect::<Vec<_>>(),
        "dx": record.dx().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "expiry_days": record.expiry().map(|exp| exp.days()),
        "policy": record.policy().as_str(),
        "subdomain": record.subdomain().as_str(),
    })
}

/// The text form of a record: one `name: value` line per value, then its canonical form.
pub fn record_text(record: &ManagementRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "version: {}", record.version());
    for pok in record.poks() {
        let _ = writeln!(out, "pok: {}", pok.to_base64());
    }
    for tls in record.tls() {
        let _ = writeln!(out, "tls: {}", base64::encode_unpadded(tls.as_bytes()));
    }
    if let Some(syn) = record.syndicates() {
        let _ = writeln!(out, "syn: {syn}");
    }
    for dx in record.dx() {
        let _ = writeln!(out, "dx: {dx}");
    }
    match record.expiry() {
        Some(exp) => _ = writeln!(out, "expiry: {} days", exp.days()),
        None => out.push_str("expiry: (none)\n"),
    }
    let _ = writeln!(out, "policy: {}", record.policy());
    let _ = writeln!(out, "subdomain: {}", record.subdomain());
    for unknown in record.unknown() {
        let _ = writeln!(out, "unknown: {unknown}");
    }
    let _ = writeln!(out, "canonical: {record}");
    out
}

/// A zone-file line for the record at `owner` (without the final dot): the text split into
/// quoted character-strings of at most 255 bytes, `"` and `\` escaped.
pub fn zone_line(owner: &str, record: &ManagementRecord) -> String {
    let text = record.to_string();
    let mut out = format!("{owner}. IN TXT");
    for chunk in text.as_bytes().chunks(MAX_TXT_STRING_LEN) {
        out.push_str(" \"");
        for &byte in chunk {
            if matches!(byte, b'"' | b'\\') {
                out.push('\\');
            }
            out.push(char::from(byte));
        }
        out.push('"');
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use dime_core::keys::SigningSecretKey;
    use dime_signet::record::HostName;

    use super::*;

    #[test]
    fn printable_escapes_control_characters_only() {
        assert_eq!(printable("a\u{1b}[2Jb\nü"), "a\\u{1b}[2Jb\\nü");
    }

    #[test]
    fn zone_line_splits_long_records_into_255_byte_strings() {
        let mut builder = ManagementRecord::builder(SigningSecretKey::from_seed(&[1; 32]).public());
        for i in 0..8 {
            builder = builder.dx(HostName::new(&format!("{}{i}.example.org", "d".repeat(40))).unwrap());
        }
        let record = builder.build().unwrap();
        let line = zone_line("_dx.example.org", &record);
        let strings: Vec<&str> = line
            .trim_end()
            .strip_prefix("_dx.example.org. IN TXT \"")
            .unwrap()
            .strip_suffix('"')
            .unwrap()
            .split("\" \"")
            .collect();
        assert!(strings.len() > 1);
        assert!(strings.iter().all(|s| s.len() <= MAX_TXT_STRING_LEN));
        assert_eq!(strings.concat(), record.to_string());
    }
}
