//! Drafts that survive the session (docs/accounts.md): a keitai member types a diary entry on
//! a keypad for many minutes; if the URL session has expired by the time they send it, the
//! text must not be lost.
//!
//! Each diary, comment and message form carries a **draft key** in its action URL:
//! `{member}.{nonce}.{mac}` with a fresh random nonce and an HMAC over member and nonce under
//! the server secret. Making one costs no database work. When such a form arrives without a
//! live session (or with a stale form token), the key alone says whose text it is: the text
//! is kept under the key's hash for [`TTL_MS`], the member logs in again and is sent back to
//! the form with the text filled in. A key made for another member, or forged, is refused
//! and the draft handed back only to its owner, once.

use ashiato_core::time::DAY_MS;
use ashiato_core::{MemberId, Timestamp};
use ashiato_store::drafts::{self as store, Draft};
use base64::Engine as _;

use crate::secret::Secret;
use crate::{App, AppError, AppResult, now};

/// How long a kept draft waits for its member (7 days).
pub const TTL_MS: i64 = 7 * DAY_MS;
/// Longest kept field value, in bytes (the diary body's limit is 10,000 characters).
const FIELD_MAX: usize = 64 * 1024;

const PURPOSE: &str = "draft-key";

fn mac_part(secret: &Secret, member: MemberId, nonce: &str) -> String {
    let mac = secret.mac(PURPOSE, &[&member.0.to_be_bytes(), nonce.as_bytes()]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac[..12])
}

/// A fresh draft key for a form `member` is about to see.
pub fn new_key(secret: &Secret, member: MemberId) -> AppResult<String> {
    let nonce: [u8; 9] = ashiato_store::db::random_bytes().map_err(AppError::from)?;
    let nonce = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(nonce);
    Ok(format!("{}.{nonce}.{}", member.0, mac_part(secret, member, &nonce)))
}

/// The member a draft key was made for, if it is one of ours (constant-time MAC check).
pub fn owner(secret: &Secret, key: &str) -> Option<MemberId> {
    use subtle::ConstantTimeEq;
    let mut parts = key.splitn(3, '.');
    let member = MemberId(parts.next()?.parse().ok()?);
    let (nonce, mac) = (parts.next()?, parts.next()?);
    if nonce.len() != 12 || mac.len() != 16 {
        return None;
    }
    let expected = mac_part(secret, member, nonce);
    bool::from(expected.as_bytes().ct_eq(mac.as_bytes())).then_some(member)
}

/// Keeps the typed fields of a form sent too late under its key; `target` is the form page to
/// return to. `signed_in` is the member of the request's session, if it still has one: a key
/// made for anyone else is refused. Returns the draft's member, `None` when the key is not
/// valid (nothing is kept then).
pub async fn keep(
    app: &App,
    key: &str,
    signed_in: Option<MemberId>,
    target: String,
    fields: Vec<(String, String)>,
) -> AppResult<Option<MemberId>> {
    let Some(member) = owner(&app.secret, key) else {
        tracing::warn!(security.event = "draft_key_refused", "draft key does not verify");
        return Ok(None);
    };
    if signed_in.is_some_and(|m| m != member) {
        tracing::warn!(security.event = "draft_key_refused", "draft key of another member");
        return Ok(None);
    }
    let map: serde_json::Map<String, serde_json::Value> = fields
        .into_iter()
        .filter(|(_, v)| v.len() <= FIELD_MAX)
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    let draft = Draft { target, fields: serde_json::Value::Object(map).to_string() };
    let key = key.to_owned();
    app.write(move |c| store::save(c, &key, member, &draft, now(), TTL_MS)).await?;
    Ok(Some(member))
}

/// Where a member who just logged in should go to find their draft: its form page, if the
/// draft under `key` is theirs and still waiting.
pub async fn resume(app: &App, me: MemberId, key: String) -> AppResult<Option<String>> {
    let found = app.run(move |c| store::find(c, &key, me, now())).await?;
    Ok(found.map(|d| d.target))
}

/// The fields of the member's draft under `key`, handed back once (the form shows them;
/// sending the form again makes a new draft if need be). Someone else's draft is `None`.
pub async fn take(
    app: &App,
    me: MemberId,
    key: String,
) -> AppResult<Option<Vec<(String, String)>>> {
    let t: Timestamp = now();
    let found = app.write(move |c| store::take(c, &key, me, t)).await?;
    Ok(found.map(|d| {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&d.fields)
            .map(|m| {
                m.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect()
            })
            .unwrap_or_default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_member_and_cannot_be_forged() {
        let s = Secret::from_bytes([3; 32]);
        let key = new_key(&s, MemberId(42)).expect("key");
        assert_eq!(owner(&s, &key), Some(MemberId(42)));
        assert_ne!(new_key(&s, MemberId(42)).expect("key"), key, "a fresh nonce each time");
        // Claiming the key for someone else breaks the MAC.
        let forged = key.replacen("42.", "43.", 1);
        assert_eq!(owner(&s, &forged), None);
        assert_eq!(owner(&Secret::from_bytes([4; 32]), &key), None, "another server's secret");
        for junk in ["", "42", "42..", "x.y.z", "42.aaaaaaaaaaaa.bbbbbbbbbbbbbbbb"] {
            assert_eq!(owner(&s, junk), None, "{junk}");
        }
    }
}
