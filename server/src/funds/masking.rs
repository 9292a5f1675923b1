//! Workers' ID, bank card and phone numbers: read and checked, hashed with a server key, masked.
//!
//! Full numbers are never stored, logged or returned. The roster keeps a keyed hash (HMAC-SHA256
//! with the server's `funds_hmac` secret, hex) to match bank batch files and refuse a person entered
//! twice, and the masked form people read (`3201**********1234`). A plain SHA-256 would not do: the
//! ID number space is small (birth dates × regions × 1,000), so unkeyed hashes fall to brute force.
//!
//! The parsed numbers ([`IdNumber`], [`CardNumber`], [`Phone`]) hold the full text but neither
//! print it (`Debug` shows the mask) nor serialize; errors never quote the number either.
//!
//! ID numbers: the 18-character resident identity number (GB 11643-1999): 17 digits, then a check
//! character (0-9 or X) computed from them; its birth date (characters 7-14) must be a real date.
//! Lower-case `x` reads as `X`; surrounding blanks are trimmed. **15-digit first-generation numbers
//! are refused**: they have been invalid since 1 January 2013, have no check digit (a typo would pass
//! unseen), and the same person would hash differently from his 18-digit number, so bank rows would
//! not match. Passports and Hong Kong / Macau / Taiwan permits are not taken (not yet needed).

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2_hmac::Sha256;

use crate::db::{Db, on_pool};

/// The `server_secrets` row keying the hashes.
pub const SECRET_NAME: &str = "funds_hmac";

/// Why a number was refused (the number itself is never quoted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NumberError(pub String);

fn refuse(why: impl Into<String>) -> NumberError {
    NumberError(why.into())
}

/// First `keep` and last `keep` characters with stars between (as many as hidden characters).
fn mask_ends(s: &str, keep: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep * 2 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..keep].iter().collect();
    out.push_str(&"*".repeat(chars.len() - keep * 2));
    out.extend(&chars[chars.len() - keep..]);
    out
}

/// What a number someone typed (maybe invalid) looks like masked, for a refusal list: first 4 and
/// last 4 characters of what is left after dropping blanks, all stars when it is shorter than 9.
pub fn mask_raw(text: &str) -> String {
    let compact: String = half_width(text).chars().filter(|c| !c.is_whitespace() && *c != '-').take(64).collect();
    mask_ends(&compact, 4)
}

/// Full-width digits and letters (as a Chinese input method types them: ３２０１, Ｘ) as ASCII.
fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{ff10}'..='\u{ff19}' | '\u{ff21}'..='\u{ff3a}' | '\u{ff41}'..='\u{ff5a}' => {
                char::from_u32(c as u32 - 0xfee0).unwrap_or(c)
            }
            '\u{3000}' => ' ',
            '\u{ff0d}' => '-',
            '\u{ff0b}' => '+',
            _ => c,
        })
        .collect()
}

/// `text` with every run of 12 or more digits (an ID or card number someone typed into a note, a
/// bank's 附言; single blanks or dashes between digit groups count as one run) masked to its first
/// and last 4 digits, so free text never stores a full number.
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = half_width(text).chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, single separators between digits, an ID number's final X.
        let (start, mut end, mut digits) = (i, i, String::new());
        while end < chars.len() {
            let c = chars[end];
            if c.is_ascii_digit() {
                digits.push(c);
                end += 1;
            } else if matches!(c, ' ' | '-') && chars.get(end + 1).is_some_and(char::is_ascii_digit) {
                end += 1;
            } else {
                if matches!(c, 'X' | 'x') && digits.len() == 17 {
                    digits.push('X');
                    end += 1;
                }
                break;
            }
        }
        if digits.len() >= 12 {
            out.push_str(&mask_ends(&digits, 4));
        } else {
            out.extend(&chars[start..end]);
        }
        i = end;
    }
    out
}

/// GB 11643-1999 weights of the first 17 digits, and the check character by sum mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character of an ID number's first 17 digits (ASCII digits, as `IdNumber::parse` checked).
pub fn id_check_char(first17: &str) -> char {
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    CHECK[(sum % 11) as usize]
}

/// A valid 18-character resident ID number (normalised: trimmed, `X` upper case).
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(text: &str) -> Result<IdNumber, NumberError> {
        let s = half_width(text).trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(refuse("an ID number is empty"));
        }
        if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse(
                "15-digit first-generation ID numbers are not accepted (invalid since 2013): enter the 18-character number",
            ));
        }
        let bytes = s.as_bytes();
        if s.len() != 18
            || !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(refuse("an ID number has 18 characters: 17 digits, then a digit or X"));
        }
        let birth = &s[6..14];
        let year: i32 = birth[..4].parse().unwrap_or(0);
        if chrono::NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() || !(1900..=2100).contains(&year) {
            return Err(refuse("characters 7 to 14 of an ID number are the birth date (YYYYMMDD), and are not a date"));
        }
        if id_check_char(&s[..17]) != char::from(bytes[17]) {
            return Err(refuse("the ID number's last character (its check digit) does not match: a digit is mistyped"));
        }
        Ok(IdNumber(s))
    }

    /// `3201**********1234`.
    pub fn masked(&self) -> String {
        mask_ends(&self.0, 4)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// Digits in a bank card or account number.
pub const CARD_DIGITS: std::ops::RangeInclusive<usize> = 12..=19;

/// A bank card number: 12 to 19 digits once blanks and dashes are dropped (no Luhn check: older
/// Chinese bank account numbers do not all pass it).
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    pub fn parse(text: &str) -> Result<CardNumber, NumberError> {
        let s: String = half_width(text).chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if !s.bytes().all(|b| b.is_ascii_digit()) || !CARD_DIGITS.contains(&s.len()) {
            return Err(refuse(format!(
                "a bank card number has {} to {} digits (blanks and dashes are ignored)",
                CARD_DIGITS.start(),
                CARD_DIGITS.end()
            )));
        }
        Ok(CardNumber(s))
    }

    /// `6222***********1234`: first 4, last 4.
    pub fn masked(&self) -> String {
        mask_ends(&self.0, 4)
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({})", self.masked())
    }
}

/// A mainland mobile number: 11 digits starting with 1 (blanks, dashes and a leading +86 dropped).
/// Only its mask is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(text: &str) -> Result<Phone, NumberError> {
        let s: String = half_width(text).chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let s = s.strip_prefix("+86").unwrap_or(&s);
        if s.len() != 11 || !s.starts_with('1') || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse("a mobile number has 11 digits starting with 1 (+86 and blanks are ignored)"));
        }
        Ok(Phone(s.to_string()))
    }

    /// `138****5678`: first 3, last 4.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// The server's key for the hashes (32 random bytes). `Debug` does not show it.
#[derive(Clone)]
pub struct HashKey([u8; 32]);

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashKey(..)")
    }
}

impl HashKey {
    /// A key from its stored hex text.
    pub fn from_hex(text: &str) -> Option<HashKey> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(HashKey(bytes.try_into().ok()?))
    }

    /// HMAC-SHA256 of `kind`, a zero byte and `value`, hex. The kind keeps an ID and a card
    /// number apart even if their digits were equal.
    fn mac(&self, kind: &str, value: &str) -> String {
        // A 32-byte key is always a valid HMAC key; the fallback is never taken.
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// What `workers.id_hash` holds for this ID number.
    pub fn id_hash(&self, id: &IdNumber) -> String {
        self.mac("id", &id.0)
    }

    /// What `workers.card_hash` holds for this card number.
    pub fn card_hash(&self, card: &CardNumber) -> String {
        self.mac("card", &card.0)
    }
}

/// The server's hash key. Made at first use: 32 bytes from the OS random source (two UUID v4s, as
/// device tokens are), inserted unless a concurrent first use won (`ON CONFLICT DO NOTHING`), then
/// read back, so every caller on either backend gets the one stored key. Later uses only read it.
pub async fn hash_key(db: &Db) -> Result<HashKey, sqlx::Error> {
    let read = || async {
        on_pool!(db, |p| sqlx::query_scalar::<_, String>("SELECT value FROM server_secrets WHERE name = $1")
            .bind(SECRET_NAME)
            .fetch_optional(p)
            .await)
    };
    let stored = match read().await? {
        Some(v) => v,
        None => {
            let mut fresh = Vec::with_capacity(32);
            fresh.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            fresh.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            on_pool!(db, |p| sqlx::query(
                "INSERT INTO server_secrets (name, value, created_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING"
            )
            .bind(SECRET_NAME)
            .bind(hex::encode(&fresh))
            .bind(record_schema::now_ms())
            .execute(p)
            .await
            .map(drop))?;
            read().await?.ok_or_else(|| sqlx::Error::Protocol(format!("server_secrets.{SECRET_NAME} vanished")))?
        }
    };
    HashKey::from_hex(&stored)
        .ok_or_else(|| sqlx::Error::Protocol(format!("server_secrets.{SECRET_NAME} is not 32 bytes of hex")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid number built from 17 digits and its computed check character.
    fn valid(first17: &str) -> String {
        format!("{first17}{}", id_check_char(first17))
    }

    #[test]
    fn id_numbers_check_digit_and_date() {
        // The standard's own example: 11010519491231002X.
        let id = IdNumber::parse(" 11010519491231002x ").expect("valid");
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(1101**********002X)");
        let n = valid("32010219900101123");
        assert_eq!(IdNumber::parse(&n).map(|i| i.masked()).ok(), Some(format!("3201**********{}", &n[14..])));
        // One digit changed: the check fails.
        let typo = format!("3201021990010112{}{}", 4, &n[17..]);
        assert!(IdNumber::parse(&typo).is_err());
        assert!(IdNumber::parse(&valid("32010219901301123")).is_err(), "month 13");
        assert!(IdNumber::parse(&valid("32010218000101123")).is_err(), "year 1800");
        let old = IdNumber::parse("320102900101123").expect_err("15 digits");
        assert!(old.0.contains("15-digit"));
        for bad in ["", "abc", "3201021990010112345", "32010219900101123Y", "X2010219900101123X"] {
            let e = IdNumber::parse(bad).expect_err(bad);
            assert!(bad.len() < 8 || !e.0.contains(bad), "never quotes the number");
        }
    }

    #[test]
    fn cards_and_phones_mask() {
        let c = CardNumber::parse("6222 0212 3456 7890 123").expect("card");
        assert_eq!(c.masked(), "6222***********0123");
        assert!(CardNumber::parse("12345678901").is_err());
        assert!(CardNumber::parse("62220212345678901234").is_err());
        assert!(CardNumber::parse("6222-0212-3456-789a").is_err());
        let p = Phone::parse("+86 138-1234-5678").expect("phone");
        assert_eq!(p.masked(), "138****5678");
        assert!(Phone::parse("23812345678").is_err());
        assert!(Phone::parse("1381234567").is_err());
        assert_eq!(mask_raw("3201 0219 9001 0112 3"), "3201*********1123");
        assert_eq!(mask_raw("1234567"), "*******");
    }

    #[test]
    fn full_width_input_and_free_text() {
        let id = IdNumber::parse("１１０１０５１９４９１２３１００２ｘ").expect("full-width");
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(Phone::parse("１３８－１２３４－５６７８").map(|p| p.masked()).ok(), Some("138****5678".into()));
        assert_eq!(
            scrub("工资 11010519491231002X 转 6222021234567890123；电话 13812345678"),
            "工资 1101**********002X 转 6222***********0123；电话 13812345678"
        );
        assert_eq!(scrub("卡号６２２２０２１２３４５６７８９０"), "卡号6222********7890");
        assert_eq!(scrub("11月工资"), "11月工资");
        assert_eq!(scrub("转至 6217 0000 1111 2222 谢谢"), "转至 6217********2222 谢谢");
        assert_eq!(scrub("2026-12-10 共 3 人"), "2026-12-10 共 3 人");
    }

    #[test]
    fn hashes_are_keyed_and_kind_separated() {
        let k1 = HashKey([1; 32]);
        let k2 = HashKey([2; 32]);
        let id = IdNumber::parse("11010519491231002X").expect("id");
        assert_eq!(k1.id_hash(&id).len(), 64);
        assert_ne!(k1.id_hash(&id), k2.id_hash(&id));
        assert_eq!(k1.id_hash(&id), k1.id_hash(&IdNumber::parse("11010519491231002x").expect("id")));
        // The same digits as an ID and as a card hash apart.
        let card = CardNumber::parse("110105194912310021").expect("18 digits read as a card too");
        let id = IdNumber::parse(&valid("11010519491231002")).expect("id");
        assert_eq!(valid("11010519491231002"), "11010519491231002X");
        let as_card = CardNumber::parse("110105194912310020").expect("card");
        assert_ne!(k1.card_hash(&card), k1.id_hash(&id));
        assert_ne!(k1.mac("card", "11010519491231002X"), k1.mac("id", "11010519491231002X"));
        assert_eq!(k1.card_hash(&as_card), k1.mac("card", "110105194912310020"));
        assert_eq!(format!("{k1:?}"), "HashKey(..)");
        assert_eq!(HashKey::from_hex(&hex::encode([7u8; 32])).map(|k| k.0), Some([7; 32]));
        assert!(HashKey::from_hex("abcd").is_none());
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
