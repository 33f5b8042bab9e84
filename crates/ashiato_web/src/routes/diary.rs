//! Diaries: lists, entries with comments, writing, editing, deleting.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use ashiato_app::diary::{self as uc, Commenter, PHOTOS_PER_ENTRY};
use ashiato_app::photos::UploadProblem;
use ashiato_core::content::{DiaryDraft, validate_comment};
use ashiato_core::{CommentId, DiaryId, Invalid, PhotoId, Relation};
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Link, Notice, Page};
use ashiato_store::diary;
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{FormData, MemberPosted, SjisForm, SjisQuery};
use crate::routes::images::{can_upload, image_block};
use crate::routes::profile::{TokenOnly, confirm, leave_footstep, visible_member};
use crate::routes::text::member_text;
use crate::routes::{
    PAGE_SIZE, Paging, attach_errors, member_link, menu, pager, post_form, scope_options,
    short_time,
};
use crate::visitor::{Member, Visitor};

/// Most comments shown under an entry; the renderer splits them into numbered parts.
const COMMENTS_SHOWN: i64 = 200;

/// `GET /diary`: my own diary list.
pub async fn my_list(Member { visitor, id: me, .. }: Member) -> Result<HttpResponse, WebError> {
    Ok(visitor.redirect(&format!("/m/{me}/diary")))
}

/// `GET /m/{id}/diary`: a member's entries the viewer may read, newest first.
pub async fn list(
    Member { visitor, .. }: Member,
    id: web::Path<i64>,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
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

/// Fields of the comment form.
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
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
    Member { mut visitor, id: me, .. }: Member,
    id: i64,
    draft_comment: &str,
    comment_error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let (seen, thread) = uc::page(visitor.state(), me, DiaryId(id), COMMENTS_SHOWN).await?;
    leave_footstep(&visitor, seen.author.id, seen.relation);
    visitor.ensure_session().await?;
    let status =
        if comment_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let uc::Thread { comments, older, newer, photos: entry_photos } = thread;
    let uc::Visible { entry, author, relation: rel } = seen;
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
    } else {
        page.push(Block::Paragraph(vec![Inline::link(
            format!("/diary/{}/report", entry.id),
            cat.t("report.link"),
        )]));
    }
    page.push(Block::Heading(cat.f("diary.comments", &[("n", &comments.len().to_string())])));
    for cm in &comments {
        let mut byline =
            vec![member_link(&cm.author), Inline::text(format!(" {}", short_time(cm.created_at)))];
        if me != cm.author.id {
            byline.push(Inline::text(" "));
            byline.push(Inline::link(
                format!("/diary/{}/comments/{}/report", entry.id, cm.id),
                cat.t("report.link"),
            ));
        }
        page.push(Block::Paragraph(byline));
        page.push(member_text(&visitor, &cm.body));
        if me == cm.author.id || rel == Relation::Owner {
            page.push(post_form(
                format!("/diary/{}/comments/{}/delete", entry.id, cm.id),
                vec![],
                cat.t("diary.delete_comment"),
            ));
        }
    }
    page.push(post_form(
        crate::drafts::action(&visitor, me, &format!("/diary/{}/comments", entry.id)),
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

/// `GET /diary/{id}` (with `draft=…` after a login: the comment typed before it comes back).
pub async fn show(
    req: HttpRequest,
    member: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let kept = crate::drafts::restore(&req, &member.visitor, member.id).await?;
    let body = kept.map(|f| crate::drafts::field(&f, "body")).unwrap_or_default();
    entry_page(member, *id, &body, None).await
}

/// `POST /diary/{id}/comments`.
pub async fn comment(
    MemberPosted { member, form }: MemberPosted<SjisForm<CommentForm>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    // A blocked member cannot comment: they cannot see the entry either (a 404).
    let seen = uc::visible(member.visitor.state(), member.id, DiaryId(*id)).await?;
    let body = match validate_comment(&form.body) {
        Ok(b) => b,
        Err(errors) => {
            let cat = member.visitor.cat();
            let msg = errors.first().map(|e| crate::routes::problem_message(cat, e.problem));
            return entry_page(member, *id, &form.body, msg).await;
        }
    };
    let Member { visitor, id: me, nickname } = member;
    let entry_id = seen.entry.id;
    uc::comment(visitor.state(), Commenter { id: me, nickname }, seen.entry, body).await?;
    visitor.flash(visitor.cat().t("diary.commented").into()).await?;
    Ok(visitor.redirect(&format!("/diary/{entry_id}")))
}

/// `POST /diary/{id}/comments/{comment}/delete`: by the comment's author or the entry's owner.
pub async fn delete_comment(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (entry_id, comment_id) = path.into_inner();
    match uc::delete_comment(visitor.state(), me, CommentId(comment_id)).await {
        Ok(()) => visitor.flash(visitor.cat().t("diary.comment_deleted").into()).await?,
        // Already gone (double submit) or not ours to delete: nothing changes.
        Err(ashiato_app::AppError::NotFound) => {}
        Err(e) => return Err(e.into()),
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
        for n in 1..=PHOTOS_PER_ENTRY {
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
        DiaryForm { title: data.text("title"), body: data.text("body"), scope: data.text("scope") }
    }
}

/// The photos uploaded as `photo1`…`photo3`, by slot.
fn uploads(data: &FormData) -> Vec<(usize, Vec<u8>)> {
    (1..=PHOTOS_PER_ENTRY)
        .filter_map(|n| data.file(&format!("photo{n}")).map(|b| (n, b.to_vec())))
        .collect()
}

/// The diary form filled from a kept draft, if this request names one of the member's.
async fn restored(
    req: &HttpRequest,
    visitor: &Visitor,
    me: ashiato_core::MemberId,
) -> Result<Option<DiaryForm>, WebError> {
    Ok(crate::drafts::restore(req, visitor, me).await?.map(|kept| DiaryForm {
        title: crate::drafts::field(&kept, "title"),
        body: crate::drafts::field(&kept, "body"),
        scope: crate::drafts::field(&kept, "scope"),
    }))
}

/// `GET /diary/new` (with `draft=…` after a login: what was typed before it comes back).
pub async fn new_form(
    req: HttpRequest,
    Member { mut visitor, id: me, .. }: Member,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let scope = visitor.member.as_ref().map(|m| m.default_diary_scope.as_str().into());
    let form = match restored(&req, &visitor, me).await? {
        Some(kept) => kept,
        None => DiaryForm { scope: scope.unwrap_or_default(), ..DiaryForm::default() },
    };
    let action = crate::drafts::action(&visitor, me, "/diary/new");
    let mut page = diary_form_page(&visitor, visitor.cat().t("diary.write"), &action, &form, &[]);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

/// Validates the diary form and stores its photos; on a refusal, the form page again with
/// what was typed.
async fn checked_draft(
    visitor: &Visitor,
    me: ashiato_core::MemberId,
    data: &FormData,
    title: &str,
    action: &str,
) -> Result<Result<(DiaryDraft, Vec<(usize, PhotoId)>), HttpResponse>, WebError> {
    let form = DiaryForm::from_data(data);
    let refused = |errors: &[Invalid], problem: Option<&UploadProblem>| {
        let page = diary_form_page_with(visitor, title, action, &form, errors, problem);
        visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let draft = match DiaryDraft::validate(&form.title, &form.body, &form.scope) {
        Ok(d) => d,
        Err(errors) => return Ok(Err(refused(&errors, None))),
    };
    match uc::store_photos(visitor.state(), me, uploads(data)).await? {
        Ok(stored) => Ok(Ok((draft, stored))),
        Err(problem) => Ok(Err(refused(&[], Some(&problem)))),
    }
}

/// `POST /diary/new` (URL-encoded, or multipart with up to three photos). A double submit of
/// the same title and body within a minute posts once.
pub async fn create(
    MemberPosted { member: Member { visitor, id: me, .. }, form: data }: MemberPosted<FormData>,
) -> Result<HttpResponse, WebError> {
    let title = visitor.cat().t("diary.write");
    let action = crate::drafts::action(&visitor, me, "/diary/new");
    let (draft, stored) = match checked_draft(&visitor, me, &data, title, &action).await? {
        Ok(checked) => checked,
        Err(page) => return Ok(page),
    };
    let photo_ids = stored.into_iter().map(|(_, id)| id).collect();
    let id = uc::post(visitor.state(), me, draft, photo_ids).await?;
    visitor.flash(visitor.cat().t("diary.saved").into()).await?;
    Ok(visitor.redirect(&format!("/diary/{id}")))
}

/// `GET /diary/{id}/edit` (with `draft=…` after a login: the edit typed before it).
pub async fn edit_form(
    req: HttpRequest,
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let entry = uc::own(visitor.state(), me, DiaryId(*id)).await?;
    visitor.ensure_session().await?;
    let form = match restored(&req, &visitor, me).await? {
        Some(kept) => kept,
        None => {
            DiaryForm { title: entry.title, body: entry.body, scope: entry.scope.as_str().into() }
        }
    };
    let action = crate::drafts::action(&visitor, me, &format!("/diary/{}/edit", entry.id));
    let mut page = diary_form_page(&visitor, visitor.cat().t("diary.edit"), &action, &form, &[]);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

/// `POST /diary/{id}/edit`. A photo uploaded as `photoN` replaces the N-th photo.
pub async fn update(
    MemberPosted { member: Member { visitor, id: me, .. }, form: data }: MemberPosted<FormData>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let entry = uc::own(visitor.state(), me, DiaryId(*id)).await?;
    let action = crate::drafts::action(&visitor, me, &format!("/diary/{}/edit", entry.id));
    let title = visitor.cat().t("diary.edit");
    let (draft, stored) = match checked_draft(&visitor, me, &data, title, &action).await? {
        Ok(checked) => checked,
        Err(page) => return Ok(page),
    };
    uc::edit(visitor.state(), me, entry.id, draft, stored).await?;
    visitor.flash(visitor.cat().t("diary.saved").into()).await?;
    Ok(visitor.redirect(&format!("/diary/{}", entry.id)))
}

/// `GET /diary/{id}/delete`: confirm.
pub async fn delete_form(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let entry = uc::own(visitor.state(), me, DiaryId(*id)).await?;
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
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    match uc::delete(visitor.state(), me, DiaryId(*id)).await {
        Ok(()) => visitor.flash(visitor.cat().t("diary.deleted").into()).await?,
        // Deleting twice, or someone else's entry: nothing changes, same answer.
        Err(ashiato_app::AppError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(visitor.redirect(&format!("/m/{me}/diary")))
}
