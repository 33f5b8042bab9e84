//! Diaries: lists, entries with comments, writing, editing, deleting.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use ashiato_core::content::{DiaryDraft, validate_comment};
use ashiato_core::{CommentId, DiaryId, Invalid, MemberId, Relation};
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Link, Notice, Page};
use ashiato_store::{StoreError, accounts, diary, photos, relation};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{FormData, SjisForm, SjisQuery};
use crate::photos::UploadProblem;
use crate::routes::images::{can_upload, image_block};
use crate::routes::profile::{TokenOnly, confirm, leave_footstep, visible_member};
use crate::routes::text::member_text;
use crate::routes::{
    PAGE_SIZE, Paging, attach_errors, member_link, menu, pager, post_form, scope_options,
    short_time,
};
use crate::state::now;
use crate::visitor::Visitor;

/// Most comments shown under an entry; the renderer splits them into numbered parts.
const COMMENTS_SHOWN: i64 = 200;

/// `GET /diary`: my own diary list.
pub async fn my_list(visitor: Visitor) -> Result<HttpResponse, WebError> {
    match visitor.member_id() {
        Some(me) => Ok(visitor.redirect(&format!("/m/{me}/diary"))),
        None => Ok(visitor.login_redirect()),
    }
}

/// `GET /m/{id}/diary`: a member's entries the viewer may read, newest first.
pub async fn list(
    visitor: Visitor,
    id: web::Path<i64>,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let (member, rel) = visible_member(&visitor, *id).await?;
    leave_footstep(&visitor, member.id, rel);
    let (owner, offset) = (member.id, paging.offset());
    let entries = visitor
        .state()
        .run(move |c| diary::list_visible(c, owner, rel, PAGE_SIZE + 1, offset))
        .await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("diary.list_title", &[("nickname", &member.nickname)]));
    page.flash = visitor.take_flash().await?;
    if rel == Relation::Owner {
        page.push(Block::Paragraph(vec![Inline::Link(Link {
            accesskey: Some('*'),
            ..Link::internal("/diary/new", cat.t("diary.write"))
        })]));
    }
    let has_more = entries.len() > usize::try_from(PAGE_SIZE).unwrap_or(20);
    if entries.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("diary.none"))]));
    } else {
        page.push(Block::List(
            entries
                .iter()
                .take(usize::try_from(PAGE_SIZE).unwrap_or(20))
                .map(|e| {
                    let mut row = vec![
                        Inline::link(format!("/diary/{}", e.id), e.title.clone()),
                        Inline::text(format!(" {}", short_time(e.created_at))),
                    ];
                    if e.comment_count > 0 {
                        row.push(Inline::text(format!(" ({})", e.comment_count)));
                    }
                    if rel == Relation::Owner {
                        row.push(Inline::text(format!(
                            " [{}]",
                            cat.t(&format!("scope.{}", e.scope.as_str()))
                        )));
                    }
                    row
                })
                .collect(),
        ));
    }
    if let Some(p) = pager(cat, &format!("/m/{owner}/diary"), paging.number(), has_more) {
        page.push(p);
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// Loads an entry the viewer may read; anything else is a 404 (existence does not leak).
async fn visible_entry(
    visitor: &Visitor,
    id: i64,
) -> Result<(diary::Entry, accounts::Member, Relation), WebError> {
    let viewer = visitor.member_id().ok_or(WebError::NotFound)?;
    let entry_id = DiaryId(id);
    let (entry, author, rel) = visitor
        .state()
        .run(move |c| {
            let entry = diary::find_entry(c, entry_id)?;
            let author = accounts::find_member(c, entry.author)?;
            let rel = relation::relation(c, Some(viewer), entry.author)?;
            Ok((entry, author, rel))
        })
        .await?;
    if !entry.scope.allows(rel) {
        return Err(WebError::NotFound);
    }
    Ok((entry, author, rel))
}

/// Fields of the comment form.
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    csrf: Option<String>,
}

fn comment_field(visitor: &Visitor, value: &str, error: Option<String>) -> Field {
    let mut f = Field::new(
        "body",
        visitor.cat().t("diary.comment"),
        FieldKind::TextArea { value: value.into(), rows: 3 },
    );
    f.error = error;
    f
}

async fn entry_page(
    mut visitor: Visitor,
    id: i64,
    draft_comment: &str,
    comment_error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let me = visitor.member_id();
    let (entry, author, rel) = visible_entry(&visitor, id).await?;
    leave_footstep(&visitor, author.id, rel);
    visitor.ensure_session().await?;
    let status =
        if comment_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let e = entry.clone();
    let (comments, (older, newer), entry_photos) = visitor
        .state()
        .run(move |c| {
            Ok((
                diary::comments(c, e.id, COMMENTS_SHOWN, 0)?,
                diary::neighbors(c, &e, rel)?,
                photos::entry_photos(c, e.id)?,
            ))
        })
        .await?;
    let cat = visitor.cat();
    let mut page = Page::new(entry.title.clone());
    page.flash = visitor.take_flash().await?;
    let mut byline = vec![
        member_link(&ashiato_store::friends::MemberSummary {
            id: author.id,
            nickname: author.nickname.clone(),
        }),
        Inline::text(format!(" {}", short_time(entry.created_at))),
    ];
    if rel == Relation::Owner {
        byline.push(Inline::text(format!(
            " [{}]",
            cat.t(&format!("scope.{}", entry.scope.as_str()))
        )));
    }
    page.push(Block::Paragraph(byline));
    for (n, photo) in entry_photos.iter().enumerate() {
        page.push(image_block(
            &visitor,
            photo,
            &cat.f("diary.photo_label", &[("n", &(n + 1).to_string())]),
        ));
    }
    page.push(member_text(&visitor, &entry.body));
    if rel == Relation::Owner {
        page.push(Block::Paragraph(vec![
            Inline::link(format!("/diary/{}/edit", entry.id), cat.t("diary.edit")),
            Inline::text(" | "),
            Inline::link(format!("/diary/{}/delete", entry.id), cat.t("diary.delete")),
        ]));
    }
    page.push(Block::Heading(cat.f("diary.comments", &[("n", &comments.len().to_string())])));
    for cm in &comments {
        page.push(Block::Paragraph(vec![
            member_link(&cm.author),
            Inline::text(format!(" {}", short_time(cm.created_at))),
        ]));
        page.push(member_text(&visitor, &cm.body));
        if me == Some(cm.author.id) || rel == Relation::Owner {
            page.push(post_form(
                format!("/diary/{}/comments/{}/delete", entry.id, cm.id),
                vec![],
                cat.t("diary.delete_comment"),
            ));
        }
    }
    page.push(post_form(
        format!("/diary/{}/comments", entry.id),
        vec![comment_field(&visitor, draft_comment, comment_error)],
        cat.t("diary.comment_submit"),
    ));
    let mut nav = Vec::new();
    if let Some(n) = newer {
        nav.push(Inline::Link(Link {
            accesskey: Some('*'),
            ..Link::internal(format!("/diary/{n}"), cat.t("diary.newer"))
        }));
    }
    if let Some(o) = older {
        if !nav.is_empty() {
            nav.push(Inline::text(" | "));
        }
        nav.push(Inline::Link(Link {
            accesskey: Some('#'),
            ..Link::internal(format!("/diary/{o}"), cat.t("diary.older"))
        }));
    }
    if !nav.is_empty() {
        page.push(Block::Paragraph(nav));
    }
    page.push(Block::Paragraph(vec![Inline::link(
        format!("/m/{}/diary", author.id),
        cat.f("diary.list_title", &[("nickname", &author.nickname)]),
    )]));
    page.menu = menu(cat, true);
    Ok(visitor.page_with_status(&page, status))
}

/// `GET /diary/{id}`.
pub async fn show(visitor: Visitor, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    entry_page(visitor, *id, "", None).await
}

/// `POST /diary/{id}/comments`.
pub async fn comment(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<CommentForm>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let (entry, _, rel) = visible_entry(&visitor, *id).await?;
    // A blocked member cannot comment (they cannot see the entry either: visible_entry 404s).
    debug_assert_ne!(rel, Relation::Blocked);
    let body = match validate_comment(&form.body) {
        Ok(b) => b,
        Err(errors) => {
            let msg =
                errors.first().map(|e| crate::routes::problem_message(visitor.cat(), e.problem));
            return entry_page(visitor, *id, &form.body, msg).await;
        }
    };
    let entry_id = entry.id;
    let config = visitor.state().config.clone();
    let actor = visitor.member.as_ref().map(|m| m.nickname.clone()).unwrap_or_default();
    let (owner, diary_title) = (entry.author, entry.title.clone());
    visitor
        .state()
        .run(move |c| {
            ashiato_store::write(c, |c| {
                let t = now();
                // A second tap on a slow link posts nothing new (and mails nobody twice).
                let since = t.plus_millis(-ashiato_core::content::DOUBLE_SUBMIT_MS);
                if let Some(first) = diary::same_comment_since(c, entry_id, me, &body, since)? {
                    return Ok(first);
                }
                let id = diary::add_comment(c, entry_id, me, &body, t)?;
                crate::mail::enqueue_notification(
                    c,
                    &config,
                    crate::mail::Event {
                        recipient: owner,
                        actor: me,
                        kind: ashiato_store::mail::NotifyKind::Comment,
                        what: ashiato_mail::NotificationKind::DiaryComment {
                            actor,
                            diary_title,
                            excerpt: body.clone(),
                        },
                        path: format!("/diary/{entry_id}"),
                    },
                    now(),
                )?;
                Ok(id)
            })
        })
        .await?;
    visitor.flash(visitor.cat().t("diary.commented").into()).await?;
    Ok(visitor.redirect(&format!("/diary/{entry_id}")))
}

/// `POST /diary/{id}/comments/{comment}/delete`: by the comment's author or the entry's owner.
pub async fn delete_comment(
    visitor: Visitor,
    path: web::Path<(i64, i64)>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let (entry_id, comment_id) = path.into_inner();
    let result = visitor
        .state()
        .run(move |c| {
            ashiato_store::write(c, |c| diary::delete_comment(c, CommentId(comment_id), me))
        })
        .await;
    match result {
        Ok(_) => visitor.flash(visitor.cat().t("diary.comment_deleted").into()).await?,
        // Already gone (double submit) or not ours to delete: nothing changes.
        Err(WebError::NotFound) => {}
        Err(e) => return Err(e),
    }
    Ok(visitor.redirect(&format!("/diary/{entry_id}")))
}

/// Fields of the diary form.
#[derive(Debug, Default, Deserialize)]
pub struct DiaryForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    scope: String,
    csrf: Option<String>,
}

fn diary_form_page(
    visitor: &Visitor,
    title: &str,
    action: &str,
    form: &DiaryForm,
    errors: &[Invalid],
) -> Page {
    diary_form_page_with(visitor, title, action, form, errors, None)
}

fn diary_form_page_with(
    visitor: &Visitor,
    title: &str,
    action: &str,
    form: &DiaryForm,
    errors: &[Invalid],
    upload_problem: Option<&UploadProblem>,
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(title);
    if !errors.is_empty() {
        page.push(Block::Notice(Notice::Error(cat.t("form.fix_errors").into())));
    }
    if let Some(p) = upload_problem {
        page.push(Block::Notice(Notice::Error(cat.t(p.message_key()).into())));
    }
    let mut fields = vec![
        Field::new(
            "title",
            cat.t("diary.title_label"),
            FieldKind::Text {
                value: form.title.clone(),
                max_chars: Some(ashiato_core::content::DIARY_TITLE_MAX),
                mode: InputMode::Hiragana,
            },
        ),
        Field::new(
            "body",
            cat.t("diary.body_label"),
            FieldKind::TextArea { value: form.body.clone(), rows: 8 },
        ),
        Field::new(
            "scope",
            cat.t("diary.scope_label"),
            FieldKind::Select { options: scope_options(cat), selected: form.scope.clone() },
        ),
    ];
    attach_errors(cat, &mut fields, errors);
    let upload = can_upload(visitor);
    if upload {
        for n in 1..=3 {
            fields.push(Field::new(
                format!("photo{n}"),
                cat.f("diary.photo_label", &[("n", &n.to_string())]),
                FieldKind::File { accept: "image/jpeg,image/png,image/gif".into() },
            ));
        }
    }
    page.push(Block::Form(ashiato_render::page::Form {
        action: action.into(),
        method: ashiato_render::page::Method::Post,
        fields,
        submit: cat.t("diary.save").into(),
        multipart: upload,
    }));
    if !upload {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("diary.photos_by_mail"))]));
    }
    page.menu = menu(cat, true);
    page
}

impl DiaryForm {
    fn from_data(data: &FormData) -> DiaryForm {
        DiaryForm {
            title: data.text("title"),
            body: data.text("body"),
            scope: data.text("scope"),
            csrf: Some(data.text("csrf")),
        }
    }
}

/// Stores the photos uploaded as `photo1`…`photo3`; on any refusal, removes the ones already
/// stored by this request and reports the problem, so nothing is left half-posted.
async fn store_photos(
    visitor: &Visitor,
    me: MemberId,
    data: &FormData,
) -> Result<Result<Vec<(usize, i64)>, UploadProblem>, WebError> {
    let mut stored: Vec<(usize, i64)> = Vec::new();
    for n in 1..=3 {
        let Some(bytes) = data.file(&format!("photo{n}")) else { continue };
        match visitor
            .state()
            .photos
            .store_upload(visitor.state(), me, bytes.to_vec(), now())
            .await?
        {
            Ok(id) => stored.push((n, id)),
            Err(problem) => {
                // The photos this request already stored show nowhere: release them and their files.
                let ids: Vec<i64> = stored.iter().map(|(_, id)| *id).collect();
                if !ids.is_empty() {
                    let files = visitor.state().photos.files().clone();
                    visitor
                        .state()
                        .run(move |c| {
                            let freed = ashiato_store::write(c, |c| photos::release(c, &ids))?;
                            photos::remove_unreferenced_files(c, &files, &freed);
                            Ok(())
                        })
                        .await?;
                }
                return Ok(Err(problem));
            }
        }
    }
    Ok(Ok(stored))
}

/// `GET /diary/new`.
pub async fn new_form(mut visitor: Visitor) -> Result<HttpResponse, WebError> {
    let Some(member) = visitor.member.clone() else { return Ok(visitor.login_redirect()) };
    visitor.ensure_session().await?;
    let form =
        DiaryForm { scope: member.default_diary_scope.as_str().into(), ..DiaryForm::default() };
    Ok(visitor.page(&diary_form_page(
        &visitor,
        visitor.cat().t("diary.write"),
        "/diary/new",
        &form,
        &[],
    )))
}

/// `POST /diary/new` (URL-encoded, or multipart with up to three photos). A double submit of
/// the same title and body within a minute posts once.
pub async fn create(visitor: Visitor, data: FormData) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    let form = DiaryForm::from_data(&data);
    visitor.check_csrf(form.csrf.as_deref())?;
    let draft = match DiaryDraft::validate(&form.title, &form.body, &form.scope) {
        Ok(d) => d,
        Err(errors) => {
            let page = diary_form_page(
                &visitor,
                visitor.cat().t("diary.write"),
                "/diary/new",
                &form,
                &errors,
            );
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let stored = match store_photos(&visitor, me, &data).await? {
        Ok(s) => s,
        Err(problem) => {
            let page = diary_form_page_with(
                &visitor,
                visitor.cat().t("diary.write"),
                "/diary/new",
                &form,
                &[],
                Some(&problem),
            );
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let photo_ids: Vec<i64> = stored.iter().map(|(_, id)| *id).collect();
    let files = visitor.state().photos.files().clone();
    let id = visitor
        .state()
        .run(move |c| {
            let (id, freed) = ashiato_store::write(c, |c| -> Result<_, StoreError> {
                let t = now();
                if let Some(same) = diary::list_by_author(c, me, 1, 0)?.into_iter().find(|e| {
                    e.title == draft.title
                        && e.body == draft.body
                        && t.0 - e.created_at.0 < ashiato_core::content::DOUBLE_SUBMIT_MS
                }) {
                    // A double submit: the photos this second request uploaded show nowhere.
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
        .await?;
    visitor.flash(visitor.cat().t("diary.saved").into()).await?;
    Ok(visitor.redirect(&format!("/diary/{id}")))
}

async fn own_entry(visitor: &Visitor, id: i64) -> Result<diary::Entry, WebError> {
    let me = visitor.member_id().ok_or(WebError::NotFound)?;
    let entry = visitor.state().run(move |c| diary::find_entry(c, DiaryId(id))).await?;
    // Someone else's entry answers exactly like a missing one.
    if entry.author != me {
        return Err(WebError::NotFound);
    }
    Ok(entry)
}

/// `GET /diary/{id}/edit`.
pub async fn edit_form(mut visitor: Visitor, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let entry = own_entry(&visitor, *id).await?;
    visitor.ensure_session().await?;
    let form = DiaryForm {
        title: entry.title,
        body: entry.body,
        scope: entry.scope.as_str().into(),
        csrf: None,
    };
    Ok(visitor.page(&diary_form_page(
        &visitor,
        visitor.cat().t("diary.edit"),
        &format!("/diary/{}/edit", entry.id),
        &form,
        &[],
    )))
}

/// `POST /diary/{id}/edit`. A photo uploaded as `photoN` replaces the N-th photo.
pub async fn update(
    visitor: Visitor,
    id: web::Path<i64>,
    data: FormData,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    let form = DiaryForm::from_data(&data);
    visitor.check_csrf(form.csrf.as_deref())?;
    let entry = own_entry(&visitor, *id).await?;
    let action = format!("/diary/{}/edit", entry.id);
    let draft = match DiaryDraft::validate(&form.title, &form.body, &form.scope) {
        Ok(d) => d,
        Err(errors) => {
            let page =
                diary_form_page(&visitor, visitor.cat().t("diary.edit"), &action, &form, &errors);
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let stored = match store_photos(&visitor, me, &data).await? {
        Ok(s) => s,
        Err(problem) => {
            let page = diary_form_page_with(
                &visitor,
                visitor.cat().t("diary.edit"),
                &action,
                &form,
                &[],
                Some(&problem),
            );
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let entry_id = entry.id;
    let files = visitor.state().photos.files().clone();
    visitor
        .state()
        .run(move |c| {
            let freed = ashiato_store::write(c, |c| {
                diary::update_entry(
                    c,
                    entry_id,
                    me,
                    &draft.title,
                    &draft.body,
                    draft.scope,
                    now(),
                )?;
                if !stored.is_empty() {
                    let mut slots: Vec<Option<i64>> = photos::entry_photos(c, entry_id)?
                        .into_iter()
                        .map(|p| Some(p.id))
                        .collect();
                    slots.resize(3, None);
                    for (n, id) in &stored {
                        slots[n - 1] = Some(*id);
                    }
                    let ids: Vec<i64> = slots.into_iter().flatten().collect();
                    // Photos replaced in their slot are gone from the site, and from the disk.
                    return photos::set_entry_photos(c, entry_id, &ids);
                }
                Ok(Vec::new())
            })?;
            photos::remove_unreferenced_files(c, &files, &freed);
            Ok(())
        })
        .await?;
    visitor.flash(visitor.cat().t("diary.saved").into()).await?;
    Ok(visitor.redirect(&format!("/diary/{entry_id}")))
}

/// `GET /diary/{id}/delete`: confirm.
pub async fn delete_form(
    mut visitor: Visitor,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let entry = own_entry(&visitor, *id).await?;
    visitor.ensure_session().await?;
    let cat = visitor.cat();
    Ok(confirm(
        &visitor,
        cat.t("diary.delete"),
        &cat.f("diary.delete_question", &[("title", &entry.title)]),
        format!("/diary/{}/delete", entry.id),
        cat.t("diary.delete"),
    ))
}

/// `POST /diary/{id}/delete`.
pub async fn delete(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let entry_id = DiaryId(*id);
    let files = visitor.state().photos.files().clone();
    let deleted = visitor.state().run(move |c| {
        let freed = ashiato_store::write(c, |c| diary::delete_entry(c, entry_id, me))?;
        // The entry's photos are no longer on the site; their files go too.
        photos::remove_unreferenced_files(c, &files, &freed);
        Ok(())
    });
    match deleted.await {
        Ok(()) => visitor.flash(visitor.cat().t("diary.deleted").into()).await?,
        // Deleting twice, or someone else's entry: nothing changes, same answer.
        Err(WebError::NotFound) => {}
        Err(e) => return Err(e),
    }
    Ok(visitor.redirect(&format!("/m/{me}/diary")))
}
