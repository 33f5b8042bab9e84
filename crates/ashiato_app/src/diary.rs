//! Diaries: reading an entry with its thread, posting, editing and deleting entries, and
//! commenting (from a page or from a phone's mail, through the same function).

use ashiato_core::content::{DOUBLE_SUBMIT_MS, DiaryDraft};
use ashiato_core::{CommentId, DiaryId, MemberId, PhotoId, Relation, Timestamp};
use ashiato_store::photos::{self, Photo};
use ashiato_store::{AnyConnection, StoreError, StoreResult, accounts, diary, relation};

use crate::mail::{Event, enqueue_notification};
use crate::photos::UploadProblem;
use crate::{App, AppError, AppResult, Config, now};

/// Most photos on one entry.
pub const PHOTOS_PER_ENTRY: usize = 3;

/// An entry the reader may see, with its author and the reader's relation to the author.
#[derive(Clone, Debug)]
pub struct Visible {
    /// The entry.
    pub entry: diary::Entry,
    /// Its author.
    pub author: accounts::Member,
    /// How the reader relates to the author.
    pub relation: Relation,
}

/// Loads an entry `viewer` may read on the caller's connection; a missing entry and one the
/// scope (or a block) hides are the same `NotFound` (existence does not leak). Pages use
/// [`visible`]; post by mail checks a comment's target with this.
pub fn visible_in(c: &mut AnyConnection, viewer: MemberId, id: DiaryId) -> StoreResult<Visible> {
    let (entry, author) = diary::find_entry_with_author(c, id)?;
    let rel = relation::relation(c, Some(viewer), entry.author)?;
    if !entry.scope.allows(rel) {
        return Err(StoreError::NotFound);
    }
    Ok(Visible { entry, author, relation: rel })
}

/// [`visible_in`] on a pooled connection.
pub async fn visible(app: &App, viewer: MemberId, id: DiaryId) -> AppResult<Visible> {
    app.run(move |c| visible_in(c, viewer, id)).await
}

/// What an entry's page shows beside the entry.
#[derive(Clone, Debug)]
pub struct Thread {
    /// The oldest comments, up to the limit asked for.
    pub comments: Vec<diary::Comment>,
    /// The author's previous entry the reader may see.
    pub older: Option<DiaryId>,
    /// The author's next entry the reader may see.
    pub newer: Option<DiaryId>,
    /// The entry's photos in slot order.
    pub photos: Vec<Photo>,
}

/// An entry's page for `viewer`: the entry if they may see it (the rule of [`visible_in`]) and
/// its thread, in one read ([`ashiato_store::entry_page`]: one statement on PostgreSQL).
pub async fn page(
    app: &App,
    viewer: MemberId,
    id: DiaryId,
    comments: i64,
) -> AppResult<(Visible, Thread)> {
    let p =
        app.read(move |c| ashiato_store::entry_page::entry_page(c, viewer, id, comments)).await?;
    Ok((
        Visible { entry: p.entry, author: p.author, relation: p.relation },
        Thread { comments: p.comments, older: p.older, newer: p.newer, photos: p.photos },
    ))
}

/// The member's own entry, for editing; anyone else's answers exactly like a missing one.
pub async fn own(app: &App, me: MemberId, id: DiaryId) -> AppResult<diary::Entry> {
    let entry = app.run(move |c| diary::find_entry(c, id)).await?;
    if entry.author != me {
        return Err(AppError::NotFound);
    }
    Ok(entry)
}

/// Stores uploaded photos for an entry's slots (`(slot, bytes)`, slots 1 to 3). On any refusal
/// the photos this call already stored are released with their files and the problem is
/// returned, so nothing is left half-posted. Returns `(slot, photo id)` pairs.
pub async fn store_photos(
    app: &App,
    me: MemberId,
    uploads: Vec<(usize, Vec<u8>)>,
) -> AppResult<Result<Vec<(usize, PhotoId)>, UploadProblem>> {
    let mut stored: Vec<(usize, PhotoId)> = Vec::new();
    for (slot, bytes) in uploads {
        match app.photos.store_upload(&app.db, me, bytes, now()).await? {
            Ok(id) => stored.push((slot, id)),
            Err(problem) => {
                let ids: Vec<PhotoId> = stored.iter().map(|(_, id)| *id).collect();
                release_photos(app, ids).await?;
                return Ok(Err(problem));
            }
        }
    }
    Ok(Ok(stored))
}

/// Releases photos that show nowhere (quota back) and removes their files.
async fn release_photos(app: &App, ids: Vec<PhotoId>) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let files = app.photos.files().clone();
    app.run(move |c| {
        let freed = ashiato_store::write(c, |c| photos::release(c, &ids))?;
        photos::remove_unreferenced_files(c, &files, &freed);
        Ok(())
    })
    .await
}

/// Posts an entry with already stored photos. A double submit (same title and body within
/// [`DOUBLE_SUBMIT_MS`]) answers with the first entry and releases the second request's
/// photos.
pub async fn post(
    app: &App,
    me: MemberId,
    draft: DiaryDraft,
    photo_ids: Vec<PhotoId>,
) -> AppResult<DiaryId> {
    let files = app.photos.files().clone();
    app.run(move |c| {
        let (id, freed) = ashiato_store::write(c, |c| -> Result<_, StoreError> {
            let t = now();
            if let Some(same) = diary::list_by_author(c, me, 1, 0)?.into_iter().find(|e| {
                e.title == draft.title
                    && e.body == draft.body
                    && t.0 - e.created_at.0 < DOUBLE_SUBMIT_MS
            }) {
                // The photos this second request uploaded show nowhere.
                return Ok((same.id, photos::release(c, &photo_ids)?));
            }
            let id = diary::create_entry(c, me, &draft.title, &draft.body, draft.scope, t)?;
            // A new entry had no photos, so nothing is released.
            let _ = photos::set_entry_photos(c, id, &photo_ids)?;
            Ok((id, Vec::new()))
        })?;
        photos::remove_unreferenced_files(c, &files, &freed);
        Ok(id)
    })
    .await
}

/// Edits the member's own entry; a photo stored for slot N replaces the N-th photo, whose
/// file leaves the disk once nothing else shows it.
pub async fn edit(
    app: &App,
    me: MemberId,
    entry: DiaryId,
    draft: DiaryDraft,
    stored: Vec<(usize, PhotoId)>,
) -> AppResult<()> {
    let files = app.photos.files().clone();
    app.run(move |c| {
        let freed = ashiato_store::write(c, |c| {
            diary::update_entry(c, entry, me, &draft.title, &draft.body, draft.scope, now())?;
            if stored.is_empty() {
                return Ok(Vec::new());
            }
            let mut slots: Vec<Option<PhotoId>> =
                photos::entry_photos(c, entry)?.into_iter().map(|p| Some(p.id)).collect();
            slots.resize(PHOTOS_PER_ENTRY, None);
            for (n, id) in &stored {
                if let Some(slot) = n.checked_sub(1).and_then(|i| slots.get_mut(i)) {
                    *slot = Some(*id);
                }
            }
            let ids: Vec<PhotoId> = slots.into_iter().flatten().collect();
            photos::set_entry_photos(c, entry, &ids)
        })?;
        photos::remove_unreferenced_files(c, &files, &freed);
        Ok(())
    })
    .await
}

/// Deletes the member's own entry with its comments; its photos leave the disk.
/// `NotFound` when it is gone already or not theirs.
pub async fn delete(app: &App, me: MemberId, entry: DiaryId) -> AppResult<()> {
    let files = app.photos.files().clone();
    app.run(move |c| {
        let freed = ashiato_store::write(c, |c| diary::delete_entry(c, entry, me))?;
        photos::remove_unreferenced_files(c, &files, &freed);
        Ok(())
    })
    .await
}

/// The commenter, as notification mails name them.
#[derive(Clone, Debug)]
pub struct Commenter {
    /// Their id.
    pub id: MemberId,
    /// Their nickname.
    pub nickname: String,
}

/// Inside the caller's transaction: adds a comment to `entry` and queues the notification
/// mail to its author. Mail ingest calls this within its receipt transaction; pages call
/// [`comment`].
pub fn add_comment_in(
    c: &mut AnyConnection,
    config: &Config,
    entry: &diary::Entry,
    by: &Commenter,
    body: &str,
    t: Timestamp,
) -> StoreResult<CommentId> {
    let id = diary::add_comment(c, entry.id, by.id, body, t)?;
    enqueue_notification(
        c,
        config,
        Event {
            recipient: entry.author,
            actor: by.id,
            kind: ashiato_store::mail::NotifyKind::Comment,
            what: ashiato_mail::NotificationKind::DiaryComment {
                actor: by.nickname.clone(),
                diary_title: entry.title.clone(),
                excerpt: body.to_owned(),
            },
            path: format!("/diary/{}", entry.id),
        },
        t,
    )?;
    Ok(id)
}

/// Comments on an entry the commenter may see (the caller checked it with [`visible`]). A
/// second tap on a slow link posts nothing new and mails nobody twice: it answers with the
/// first comment.
pub async fn comment(
    app: &App,
    by: Commenter,
    entry: diary::Entry,
    body: String,
) -> AppResult<CommentId> {
    let config = app.config.clone();
    app.write(move |c| {
        let t = now();
        let since = t.plus_millis(-DOUBLE_SUBMIT_MS);
        if let Some(first) = diary::same_comment_since(c, entry.id, by.id, &body, since)? {
            return Ok(first);
        }
        add_comment_in(c, &config, &entry, &by, &body, t)
    })
    .await
}

/// Deletes a comment, by its author or the entry's owner. `NotFound` when it is gone already
/// or not theirs to delete.
pub async fn delete_comment(app: &App, me: MemberId, comment: CommentId) -> AppResult<()> {
    app.write(move |c| diary::delete_comment(c, comment, me)).await.map(|_| ())
}
