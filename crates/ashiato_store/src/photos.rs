//! Photo rows: who uploaded what, and what each photo belongs to (a diary entry, a profile, a
//! community). The bytes live in [`crate::files::FileStore`].

use ashiato_core::{CommunityId, DiaryId, MemberId, PhotoId, Timestamp};
use diesel::prelude::*;

use crate::StoreResult;
use crate::db::{AnyConnection, native};
use crate::schema::{community_photos, diary_photos, member_photos, photos};

/// A stored photo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Photo {
    /// Id.
    pub id: PhotoId,
    /// Uploader.
    pub owner: MemberId,
    /// SHA-256 of the master file (its name on disk).
    pub sha256: String,
    /// `jpeg`, `png` or `gif`.
    pub format: String,
    /// Master width in pixels.
    pub width: i32,
    /// Master height in pixels.
    pub height: i32,
    /// Frames (1 for a still).
    pub frames: i32,
    /// Master size in bytes.
    pub byte_size: i64,
}

/// What a new photo row records.
#[derive(Clone, Debug)]
pub struct NewPhoto<'a> {
    /// Uploader.
    pub owner: MemberId,
    /// SHA-256 of the master.
    pub sha256: &'a str,
    /// `jpeg`, `png` or `gif`.
    pub format: &'a str,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Frames.
    pub frames: u32,
    /// Master size.
    pub byte_size: usize,
}

pub(crate) type PhotoRow = (i64, i64, String, String, i32, i32, i32, i64);

pub(crate) fn photo(r: PhotoRow) -> Photo {
    Photo {
        id: PhotoId(r.0),
        owner: MemberId(r.1),
        sha256: r.2,
        format: r.3,
        width: r.4,
        height: r.5,
        frames: r.6,
        byte_size: r.7,
    }
}

const COLUMNS: (
    photos::id,
    photos::owner_id,
    photos::sha256,
    photos::format,
    photos::width,
    photos::height,
    photos::frames,
    photos::byte_size,
) = (
    photos::id,
    photos::owner_id,
    photos::sha256,
    photos::format,
    photos::width,
    photos::height,
    photos::frames,
    photos::byte_size,
);

fn int(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Records a photo whose master is already on disk.
pub fn insert(conn: &mut AnyConnection, p: &NewPhoto<'_>, now: Timestamp) -> StoreResult<PhotoId> {
    Ok(PhotoId(
        diesel::insert_into(photos::table)
            .values((
                photos::owner_id.eq(p.owner.0),
                photos::sha256.eq(p.sha256),
                photos::format.eq(p.format),
                photos::width.eq(int(p.width)),
                photos::height.eq(int(p.height)),
                photos::frames.eq(int(p.frames)),
                photos::byte_size.eq(i64::try_from(p.byte_size).unwrap_or(i64::MAX)),
                photos::created_at.eq(now.0),
            ))
            .returning(photos::id)
            .get_result::<i64>(conn)?,
    ))
}

/// One photo.
pub fn find(conn: &mut AnyConnection, id: PhotoId) -> StoreResult<Photo> {
    Ok(photo(photos::table.find(id.0).select(COLUMNS).first::<PhotoRow>(conn)?))
}

/// What a photo belongs to, which decides who may see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A diary entry (visible exactly when the entry is).
    Diary(DiaryId),
    /// A member's profile.
    Profile(MemberId),
    /// A community's image.
    Community(CommunityId),
    /// Nothing (uploaded but not attached): only its uploader sees it.
    Unattached,
}

/// What a photo belongs to.
pub fn owner_of(conn: &mut AnyConnection, id: PhotoId) -> StoreResult<Owner> {
    if let Some(e) = diary_photos::table
        .filter(diary_photos::photo_id.eq(id.0))
        .select(diary_photos::entry_id)
        .first::<i64>(conn)
        .optional()?
    {
        return Ok(Owner::Diary(DiaryId(e)));
    }
    if let Some(m) = member_photos::table
        .filter(member_photos::photo_id.eq(id.0))
        .select(member_photos::member_id)
        .first::<i64>(conn)
        .optional()?
    {
        return Ok(Owner::Profile(MemberId(m)));
    }
    if let Some(c) = community_photos::table
        .filter(community_photos::photo_id.eq(id.0))
        .select(community_photos::community_id)
        .first::<i64>(conn)
        .optional()?
    {
        return Ok(Owner::Community(CommunityId(c)));
    }
    Ok(Owner::Unattached)
}

/// A photo master that may no longer be needed: its row was deleted because nothing showed it
/// any more (or its owner withdrew). The file goes too ([`remove_unreferenced_files`]) once
/// the transaction has committed, unless another row still uses the same bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freed {
    /// Hash of the master file.
    pub sha256: String,
}

/// Deletes those of `ids` that belong to nothing any more (their entry, profile or community
/// let go of them) and returns their files. Call inside [`crate::write`], after detaching.
pub fn release(conn: &mut AnyConnection, ids: &[PhotoId]) -> StoreResult<Vec<Freed>> {
    let mut freed = Vec::new();
    for &id in ids {
        if owner_of(conn, id)? != Owner::Unattached {
            continue;
        }
        let sha =
            photos::table.find(id.0).select(photos::sha256).first::<String>(conn).optional()?;
        if let Some(sha256) = sha {
            diesel::delete(photos::table.find(id.0)).execute(conn)?;
            freed.push(Freed { sha256 });
        }
    }
    Ok(freed)
}

/// After the transaction that freed them committed: removes the files (master and cached
/// variants) of freed photos that no row refers to any more. A file that another upload of the
/// same bytes still uses stays, and so does one the database cannot answer for (an orphan file
/// is harmless, a missing master is not).
pub fn remove_unreferenced_files(
    conn: &mut AnyConnection,
    files: &crate::files::FileStore,
    freed: &[Freed],
) {
    for f in freed {
        if matches!(is_referenced(conn, &f.sha256), Ok(false)) {
            files.remove_photo(&f.sha256);
        }
    }
}

/// Attaches photos to an entry in order, replacing what was there (at most three are kept),
/// and releases the replaced ones. Call inside [`crate::write`].
pub fn set_entry_photos(
    conn: &mut AnyConnection,
    entry: DiaryId,
    photo_ids: &[PhotoId],
) -> StoreResult<Vec<Freed>> {
    let before: Vec<PhotoId> = diary_photos::table
        .filter(diary_photos::entry_id.eq(entry.0))
        .select(diary_photos::photo_id)
        .load::<i64>(conn)?
        .into_iter()
        .map(PhotoId)
        .collect();
    diesel::delete(diary_photos::table.filter(diary_photos::entry_id.eq(entry.0))).execute(conn)?;
    for (pos, id) in photo_ids.iter().take(3).enumerate() {
        diesel::insert_into(diary_photos::table)
            .values((
                diary_photos::entry_id.eq(entry.0),
                diary_photos::position.eq(i32::try_from(pos + 1).unwrap_or(1)),
                diary_photos::photo_id.eq(id.0),
            ))
            .execute(conn)?;
    }
    let replaced: Vec<PhotoId> = before.into_iter().filter(|id| !photo_ids.contains(id)).collect();
    release(conn, &replaced)
}

/// An entry's photos in order.
pub fn entry_photos(conn: &mut AnyConnection, entry: DiaryId) -> StoreResult<Vec<Photo>> {
    let query = diary_photos::table
        .inner_join(photos::table)
        .filter(diary_photos::entry_id.eq(entry.0))
        .order(diary_photos::position.asc())
        .select(COLUMNS);
    Ok(native!(conn, c => query.load::<PhotoRow>(c))?.into_iter().map(photo).collect())
}

/// Sets (or clears) a member's profile photo and releases the one it replaces. Call inside
/// [`crate::write`].
pub fn set_member_photo(
    conn: &mut AnyConnection,
    member: MemberId,
    photo_id: Option<PhotoId>,
) -> StoreResult<Vec<Freed>> {
    let before: Option<PhotoId> = member_photos::table
        .find(member.0)
        .select(member_photos::photo_id)
        .first::<i64>(conn)
        .optional()?
        .map(PhotoId);
    diesel::delete(member_photos::table.find(member.0)).execute(conn)?;
    if let Some(id) = photo_id {
        diesel::insert_into(member_photos::table)
            .values((member_photos::member_id.eq(member.0), member_photos::photo_id.eq(id.0)))
            .execute(conn)?;
    }
    release(conn, &before.into_iter().filter(|b| Some(*b) != photo_id).collect::<Vec<_>>())
}

/// A member's profile photo.
pub fn member_photo(conn: &mut AnyConnection, member: MemberId) -> StoreResult<Option<Photo>> {
    Ok(member_photos::table
        .inner_join(photos::table)
        .filter(member_photos::member_id.eq(member.0))
        .select(COLUMNS)
        .first::<PhotoRow>(conn)
        .optional()?
        .map(photo))
}

/// Sets a community's image (admin checks are the caller's) and releases the one it replaces.
/// Call inside [`crate::write`].
pub fn set_community_photo(
    conn: &mut AnyConnection,
    community: CommunityId,
    photo_id: PhotoId,
) -> StoreResult<Vec<Freed>> {
    let before: Option<PhotoId> = community_photos::table
        .find(community.0)
        .select(community_photos::photo_id)
        .first::<i64>(conn)
        .optional()?
        .map(PhotoId);
    diesel::delete(community_photos::table.find(community.0)).execute(conn)?;
    diesel::insert_into(community_photos::table)
        .values((
            community_photos::community_id.eq(community.0),
            community_photos::photo_id.eq(photo_id.0),
        ))
        .execute(conn)?;
    release(conn, &before.into_iter().filter(|b| *b != photo_id).collect::<Vec<_>>())
}

/// A community's image.
pub fn community_photo(
    conn: &mut AnyConnection,
    community: CommunityId,
) -> StoreResult<Option<Photo>> {
    Ok(community_photos::table
        .inner_join(photos::table)
        .filter(community_photos::community_id.eq(community.0))
        .select(COLUMNS)
        .first::<PhotoRow>(conn)
        .optional()?
        .map(photo))
}

/// A member's photo count and bytes (for the quota).
pub fn usage(conn: &mut AnyConnection, owner: MemberId) -> StoreResult<(i64, i64)> {
    // SUM(bigint) is NUMERIC on PostgreSQL; the cast keeps one type on both engines.
    let (count, bytes): (i64, i64) = photos::table
        .filter(photos::owner_id.eq(owner.0))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "CAST(COALESCE(SUM(byte_size), 0) AS BIGINT)",
            ),
        ))
        .first(conn)?;
    Ok((count, bytes))
}

/// How many photos a member stored since `since` (for the upload rate limit).
pub fn uploads_since(
    conn: &mut AnyConnection,
    owner: MemberId,
    since: Timestamp,
) -> StoreResult<i64> {
    Ok(photos::table
        .filter(photos::owner_id.eq(owner.0))
        .filter(photos::created_at.ge(since.0))
        .count()
        .get_result(conn)?)
}

/// The distinct master files a member uploaded, for [`remove_unreferenced_files`] once the
/// member's rows are gone.
pub fn owned_files(conn: &mut AnyConnection, owner: MemberId) -> StoreResult<Vec<Freed>> {
    Ok(photos::table
        .filter(photos::owner_id.eq(owner.0))
        .select(photos::sha256)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .map(|sha256| Freed { sha256 })
        .collect())
}

/// Whether any row still refers to a master file.
pub fn is_referenced(conn: &mut AnyConnection, sha256: &str) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(photos::table.filter(photos::sha256.eq(sha256))))
        .get_result(conn)?)
}

/// The profile photos of several members (those without one are left out).
pub fn member_photos(
    conn: &mut AnyConnection,
    members: &[MemberId],
) -> StoreResult<Vec<(MemberId, Photo)>> {
    let ids: Vec<i64> = members.iter().map(|m| m.0).collect();
    Ok(member_photos::table
        .inner_join(photos::table)
        .filter(member_photos::member_id.eq_any(ids))
        .select((member_photos::member_id, COLUMNS))
        .load::<(i64, PhotoRow)>(conn)?
        .into_iter()
        .map(|(m, r)| (MemberId(m), photo(r)))
        .collect())
}
