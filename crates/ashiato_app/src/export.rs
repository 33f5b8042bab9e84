//! My data: everything a member wrote, in one archive they can keep (docs/accounts.md).
//!
//! The archive is a POSIX tar (ustar) of JSON files and the original photos, which every
//! computer opens without installing anything:
//!
//! ```text
//! ashiato-export/README.txt
//! ashiato-export/profile.json       the account, profile fields and their scopes, free fields
//! ashiato-export/diaries.json       my entries, their photos (paths below) and every comment on them
//! ashiato-export/comments.json      comments I wrote on diaries and in community topics
//! ashiato-export/messages.json      messages received and sent (those I have not deleted)
//! ashiato-export/friends.json       my friends
//! ashiato-export/communities.json   communities I joined, topics I opened
//! ashiato-export/photos/{id}.{ext}  the originals I uploaded (metadata-free masters)
//! ```
//!
//! Times are given twice: epoch milliseconds and ISO 8601 in Japan time.

use ashiato_core::time::JST_OFFSET_MINUTES;
use ashiato_core::{MemberId, Timestamp};
use ashiato_store::files::FileStore;
use ashiato_store::{
    AnyConnection, StoreError, StoreResult, accounts, communities, diary, export, friends, members,
    messages, photos,
};
use serde_json::{Value, json};

use crate::{App, AppResult};

/// The folder every path in the archive starts with.
pub const ROOT: &str = "ashiato-export";

/// Most of anything listed (messages, entries): far above what a member writes by hand.
const ALL: i64 = 1_000_000;

/// `2008-07-01T09:00:00+09:00`.
fn iso(t: Timestamp) -> String {
    let (y, m, d) = t.civil_date(JST_OFFSET_MINUTES);
    let (hh, mm) = t.hour_minute(JST_OFFSET_MINUTES);
    let ss = t.0.div_euclid(1000).rem_euclid(60);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}+09:00")
}

fn time(t: Timestamp) -> Value {
    json!({ "ms": t.0, "jst": iso(t) })
}

fn person(s: &friends::MemberSummary) -> Value {
    json!({ "id": s.id.0, "nickname": s.nickname })
}

/// A tar archive written in memory: ustar headers, 512-byte blocks.
#[derive(Default)]
struct Tar {
    bytes: Vec<u8>,
}

impl Tar {
    fn add(&mut self, path: &str, contents: &[u8], mtime_secs: i64) {
        let mut header = [0u8; 512];
        let name = path.as_bytes();
        // Our paths are short ASCII; a longer one would be cut, never overflow.
        let n = name.len().min(99);
        header[..n].copy_from_slice(&name[..n]);
        let octal = |field: &mut [u8], value: u64| {
            let digits = format!("{value:0width$o}", width = field.len() - 1);
            field[..digits.len()].copy_from_slice(digits.as_bytes());
        };
        octal(&mut header[100..108], 0o644);
        octal(&mut header[108..116], 0);
        octal(&mut header[116..124], 0);
        octal(&mut header[124..136], contents.len() as u64);
        octal(&mut header[136..148], u64::try_from(mtime_secs.max(0)).unwrap_or(0));
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u64 = header.iter().map(|&b| u64::from(b)).sum();
        let digits = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(digits.as_bytes());
        self.bytes.extend_from_slice(&header);
        self.bytes.extend_from_slice(contents);
        let pad = (512 - contents.len() % 512) % 512;
        self.bytes.extend(std::iter::repeat_n(0u8, pad));
    }

    fn add_json(&mut self, name: &str, value: &Value, mtime_secs: i64) {
        let text = serde_json::to_vec_pretty(value).unwrap_or_default();
        self.add(&format!("{ROOT}/{name}"), &text, mtime_secs);
    }

    fn finish(mut self) -> Vec<u8> {
        self.bytes.extend(std::iter::repeat_n(0u8, 1024));
        self.bytes
    }
}

/// The archive of `me`'s data, read on one connection (one read transaction on SQLite); the
/// photo files come from `files`. A photo whose file is missing is listed without its file.
pub fn archive(
    conn: &mut AnyConnection,
    files: &FileStore,
    me: MemberId,
    now: Timestamp,
) -> StoreResult<Vec<u8>> {
    let mtime = now.0.div_euclid(1000);
    let mut tar = Tar::default();
    ashiato_store::db::read(conn, |c| -> Result<(), StoreError> {
        let m = accounts::find_member(c, me)?;
        let scope = |s: ashiato_core::Scope| s.as_str();
        let free: Vec<Value> = members::free_fields(c, me)?
            .iter()
            .map(|f| json!({ "label": f.label, "value": f.value, "scope": scope(f.scope) }))
            .collect();
        let p = &m.profile;
        tar.add_json(
            "profile.json",
            &json!({
                "id": m.id.0,
                "email": m.email,
                "nickname": m.nickname,
                "introduction": { "text": p.introduction, "scope": scope(p.introduction_scope) },
                "birthday": {
                    "date": p.birthday.map(|(y, mo, d)| format!("{y:04}-{mo:02}-{d:02}")),
                    "scope": scope(p.birthday_scope),
                },
                "area": { "text": p.area, "scope": scope(p.area_scope) },
                "free_fields": free,
                "friends_scope": scope(m.friends_scope),
                "default_diary_scope": scope(m.default_diary_scope),
                "language": m.language,
                "joined": time(m.created_at),
            }),
            mtime,
        );

        let mut photo_paths = std::collections::HashMap::new();
        for (id, sha, format) in export::photos_by(c, me)? {
            let ext = ashiato_image::Format::from_name(&format).map_or("bin", |f| f.extension());
            let path = format!("photos/{id}.{ext}");
            if let Ok(bytes) = std::fs::read(files.master_path(&sha, ext)) {
                tar.add(&format!("{ROOT}/{path}"), &bytes, mtime);
            }
            photo_paths.insert(id, path);
        }

        let mut entries = Vec::new();
        for e in diary::list_by_author(c, me, ALL, 0)? {
            let comments: Vec<Value> = diary::comments(c, e.id, ALL, 0)?
                .iter()
                .map(|cm| json!({ "author": person(&cm.author), "body": cm.body, "at": time(cm.created_at) }))
                .collect();
            let pics: Vec<Value> = photos::entry_photos(c, e.id)?
                .iter()
                .filter_map(|ph| photo_paths.get(&ph.id.0).map(|p| json!(p)))
                .collect();
            entries.push(json!({
                "id": e.id.0,
                "title": e.title,
                "body": e.body,
                "scope": scope(e.scope),
                "at": time(e.created_at),
                "photos": pics,
                "comments": comments,
            }));
        }
        tar.add_json("diaries.json", &Value::Array(entries), mtime);

        let diary_comments: Vec<Value> = export::diary_comments_by(c, me)?
            .into_iter()
            .map(|(id, entry, body, at)| json!({ "id": id, "entry": entry, "body": body, "at": time(Timestamp(at)) }))
            .collect();
        let topic_comments: Vec<Value> = export::topic_comments_by(c, me)?
            .into_iter()
            .map(|(id, topic, body, at)| json!({ "id": id, "topic": topic, "body": body, "at": time(Timestamp(at)) }))
            .collect();
        tar.add_json(
            "comments.json",
            &json!({ "diary": diary_comments, "topics": topic_comments }),
            mtime,
        );

        let message = |msg: &messages::Message| {
            json!({
                "id": msg.id.0,
                "from": person(&msg.from),
                "to": person(&msg.to),
                "subject": msg.subject,
                "body": msg.body,
                "at": time(msg.created_at),
                "read": msg.read_at.map(time),
            })
        };
        let received: Vec<Value> = messages::inbox(c, me, ALL, 0)?.iter().map(message).collect();
        let sent: Vec<Value> = messages::sent(c, me, ALL, 0)?.iter().map(message).collect();
        tar.add_json("messages.json", &json!({ "received": received, "sent": sent }), mtime);

        let friend_list: Vec<Value> =
            friends::list_friends(c, me, ALL, 0)?.iter().map(person).collect();
        tar.add_json("friends.json", &Value::Array(friend_list), mtime);

        let joined: Vec<Value> = communities::joined_by(c, me)?
            .iter()
            .map(|co| json!({ "id": co.id.0, "name": co.name, "description": co.description }))
            .collect();
        let topics: Vec<Value> = export::topics_by(c, me)?
            .into_iter()
            .map(|(id, community, title, body, at)| {
                json!({ "id": id, "community": community, "title": title, "body": body, "at": time(Timestamp(at)) })
            })
            .collect();
        tar.add_json(
            "communities.json",
            &json!({ "joined": joined, "topics_opened": topics }),
            mtime,
        );
        Ok(())
    })?;
    let readme = format!(
        "ashiato data export, {}\n\nprofile.json, diaries.json, comments.json, messages.json,\n\
         friends.json, communities.json: UTF-8 JSON. photos/: the originals you uploaded.\n\
         Times: \"ms\" since 1970-01-01 UTC and \"jst\" in Japan time.\n",
        iso(now)
    );
    tar.add(&format!("{ROOT}/README.txt"), readme.as_bytes(), mtime);
    Ok(tar.finish())
}

/// The archive of `me`'s data (built on the blocking pool).
pub async fn build(app: &App, me: MemberId) -> AppResult<Vec<u8>> {
    let files = app.photos.files().clone();
    let t = crate::now();
    let bytes = app.run(move |c| archive(c, &files, me, t)).await?;
    tracing::info!(member = me.0, bytes = bytes.len(), "data export built");
    Ok(bytes)
}

/// The file name offered for the download: `ashiato-export-2026-12-07.tar`.
pub fn file_name(now: Timestamp) -> String {
    let (y, m, d) = now.civil_date(JST_OFFSET_MINUTES);
    format!("ashiato-export-{y:04}-{m:02}-{d:02}.tar")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_headers_are_ustar_with_a_valid_checksum() {
        let mut tar = Tar::default();
        tar.add("ashiato-export/a.json", b"{}", 1_214_870_400);
        let bytes = tar.finish();
        assert_eq!(bytes.len(), 512 + 512 + 1024, "header, one padded block, the end");
        let header = &bytes[..512];
        assert_eq!(&header[..21], b"ashiato-export/a.json");
        assert_eq!(&header[257..263], b"ustar\0");
        assert_eq!(&header[124..136], b"00000000002\0", "size in octal");
        let stored = u64::from_str_radix(std::str::from_utf8(&header[148..154]).expect("ascii"), 8)
            .expect("octal");
        let mut blanked = header.to_vec();
        blanked[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, blanked.iter().map(|&b| u64::from(b)).sum::<u64>());
        assert_eq!(&bytes[512..514], b"{}");
        assert!(bytes[1024..].iter().all(|&b| b == 0));
    }

    #[test]
    fn times_read_in_japan() {
        assert_eq!(iso(Timestamp(1_214_870_400_000)), "2008-07-01T09:00:00+09:00");
        assert_eq!(file_name(Timestamp(1_214_870_400_000)), "ashiato-export-2008-07-01.tar");
    }
}
