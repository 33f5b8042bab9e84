//! Member pages: the profile, friend requests, introductions, unfriend, block.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web;
use ashiato_app::friends as uc;
use ashiato_app::{AppError, now};
use ashiato_core::content::{INTRODUCTION_TEXT_MAX, REQUEST_MESSAGE_MAX};
use ashiato_core::footstep::{Visit, footstep_of};
use ashiato_core::{MemberId, Problem, Relation, text};
use ashiato_render::page::{Block, Field, FieldKind, Inline, Notice, Page};
use ashiato_store::accounts;
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{MemberPosted, SjisForm};
use crate::routes::text::member_text;
use crate::routes::{member_link, menu, post_form, problem_message, short_time};
use crate::visitor::{Member, Visitor};

/// Records a footstep for a profile or diary view, if the visit leaves one.
pub fn leave_footstep(visitor: &Visitor, owner: MemberId, relation: Relation) {
    let visit = Visit {
        visitor: visitor.member_id(),
        owner,
        stealth: visitor.member.as_ref().is_some_and(|m| m.stealth_footsteps),
        blocked: relation == Relation::Blocked,
        crawler: visitor.handset.is_crawler(),
    };
    if let Some((owner, by)) = footstep_of(&visit) {
        visitor.state().footsteps.visit(owner, by, now());
    }
}

/// Loads a member the viewer may see at all: members only, and never across a block (a
/// blocked member's page is a 404, so existence does not leak).
pub async fn visible_member(
    visitor: &Visitor,
    id: i64,
) -> Result<(accounts::Member, Relation), WebError> {
    let viewer = visitor.member_id().ok_or(WebError::NotFound)?;
    Ok(uc::visible_member(visitor.state(), viewer, MemberId(id)).await?)
}

/// `GET /m/{id}`: the profile.
pub async fn show(
    Member { visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let profile = uc::profile(visitor.state(), me, MemberId(*id)).await?;
    leave_footstep(&visitor, profile.member.id, profile.relation);
    let uc::Profile {
        member,
        relation: rel,
        photo,
        fields,
        introductions: intros,
        recent,
        diary_count,
        pending_out,
        pending_in,
        blocked,
        muted,
    } = profile;
    let owner = member.id;
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("profile.title", &[("nickname", &member.nickname)]));
    page.flash = visitor.take_flash().await?;
    if let Some(p) = &photo {
        page.push(crate::routes::images::image_block(&visitor, p, &member.nickname));
    }
    let shown = member.profile.visible_to(rel);
    let mut rows = Vec::new();
    if let Some(area) = shown.area {
        rows.push(vec![
            Inline::Strong(cat.t("profile.area").into()),
            Inline::text(format!(": {area}")),
        ]);
    }
    if let Some((y, m, d)) = shown.birthday {
        let _ = y; // The year stays private even when the day is shown (mixi showed month and day).
        rows.push(vec![
            Inline::Strong(cat.t("profile.birthday").into()),
            Inline::text(format!(
                ": {}",
                cat.f("profile.month_day", &[("m", &m.to_string()), ("d", &d.to_string())])
            )),
        ]);
    }
    for f in fields.iter().filter(|f| f.scope.allows(rel) && !f.value.is_empty()) {
        rows.push(vec![Inline::Strong(f.label.clone()), Inline::text(format!(": {}", f.value))]);
    }
    if !rows.is_empty() {
        page.push(Block::List(rows));
    }
    if let Some(intro) = shown.introduction {
        page.push(Block::Heading(cat.t("profile.introduction").into()));
        page.push(member_text(&visitor, intro));
    }
    page.push(Block::Heading(cat.f("profile.diary_count", &[("n", &diary_count.to_string())])));
    if recent.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("diary.none"))]));
    } else {
        page.push(Block::List(
            recent
                .iter()
                .map(|e| {
                    vec![
                        Inline::link(format!("/diary/{}", e.id), e.title.clone()),
                        Inline::text(format!(" {}", short_time(e.created_at))),
                    ]
                })
                .collect(),
        ));
        page.push(Block::Paragraph(vec![Inline::link(
            format!("/m/{owner}/diary"),
            cat.t("profile.all_diaries"),
        )]));
    }
    if member.friends_scope.allows(rel) {
        page.push(Block::Paragraph(vec![Inline::link(
            format!("/m/{owner}/friends"),
            cat.t("profile.friends"),
        )]));
    }
    if !intros.is_empty() {
        page.push(Block::Heading(cat.t("profile.introductions").into()));
        for (author, body) in &intros {
            page.push(Block::Paragraph(vec![member_link(author)]));
            page.push(member_text(&visitor, body));
        }
    }
    if rel != Relation::Owner {
        page.push(Block::Separator);
        let mut actions = Vec::new();
        match rel {
            Relation::Friend => {
                actions.push(vec![Inline::link(
                    format!("/m/{owner}/introduce"),
                    cat.t("profile.write_introduction"),
                )]);
                actions.push(vec![Inline::link(
                    format!("/m/{owner}/unfriend"),
                    cat.t("profile.unfriend"),
                )]);
            }
            _ if pending_out => actions.push(vec![Inline::text(cat.t("profile.request_sent"))]),
            _ if pending_in => actions
                .push(vec![Inline::link("/friends/requests", cat.t("profile.request_received"))]),
            _ if !blocked => actions.push(vec![Inline::link(
                format!("/m/{owner}/friend-request"),
                cat.t("profile.add_friend"),
            )]),
            _ => {}
        }
        actions.push(vec![Inline::link(
            format!("/messages/new?to={owner}"),
            cat.t("profile.send_message"),
        )]);
        actions.push(vec![Inline::link(
            format!("/m/{owner}/mute"),
            cat.t(if muted { "profile.unmute" } else { "profile.mute" }),
        )]);
        actions.push(vec![Inline::link(
            format!("/m/{owner}/block"),
            cat.t(if blocked { "profile.unblock" } else { "profile.block" }),
        )]);
        actions.push(vec![Inline::link(format!("/m/{owner}/report"), cat.t("report.link"))]);
        page.push(Block::List(actions));
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// Fields of the friend-request form.
#[derive(Debug, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    message: String,
}

fn request_page(
    visitor: &Visitor,
    member: &accounts::Member,
    message: &str,
    error: Option<String>,
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("friends.request_title", &[("nickname", &member.nickname)]));
    if let Some(e) = error {
        page.push(Block::Notice(Notice::Error(e)));
    }
    page.push(post_form(
        format!("/m/{}/friend-request", member.id),
        vec![Field::new(
            "message",
            cat.t("friends.request_message"),
            FieldKind::TextArea { value: message.into(), rows: 3 },
        )],
        cat.t("friends.request_submit"),
    ));
    page.menu = menu(cat, true);
    page
}

/// `GET /m/{id}/friend-request`.
pub async fn request_form(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (member, _) = uc::visible_member(visitor.state(), me, MemberId(*id)).await?;
    visitor.ensure_session().await?;
    Ok(visitor.page(&request_page(&visitor, &member, "", None)))
}

/// `POST /m/{id}/friend-request`.
pub async fn request(
    MemberPosted { member: Member { visitor, id: me, nickname }, form }: MemberPosted<
        SjisForm<RequestForm>,
    >,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (member, _) = uc::visible_member(visitor.state(), me, MemberId(*id)).await?;
    let message = match text::clean_optional_multiline(&form.message, REQUEST_MESSAGE_MAX) {
        Ok(m) => m,
        Err(p) => {
            let error = Some(problem_message(visitor.cat(), p));
            let page = request_page(&visitor, &member, &form.message, error);
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let to = member.id;
    let cat = visitor.cat();
    match uc::request(visitor.state(), me, nickname, to, message).await {
        Ok(_) => visitor.flash(cat.t("friends.request_sent").into()).await?,
        // Already friends, already asked, or a block: say it plainly, change nothing.
        Err(AppError::Rejected(Problem::NotAllowed)) => {
            visitor.flash(cat.t("friends.request_not_possible").into()).await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(visitor.redirect(&format!("/m/{to}")))
}

/// A confirmation page with one button.
pub fn confirm(
    visitor: &Visitor,
    title: &str,
    question: &str,
    action: String,
    submit: &str,
) -> HttpResponse {
    let mut page = Page::new(title);
    page.push(Block::Paragraph(vec![Inline::text(question)]));
    page.push(post_form(action, vec![], submit));
    page.menu = menu(visitor.cat(), true);
    visitor.page(&page)
}

/// Fields of forms that carry nothing but the CSRF token (which [`MemberPosted`] and
/// [`crate::form::Posted`] read and check themselves).
#[derive(Debug, Deserialize)]
pub struct TokenOnly {}

/// `GET /m/{id}/unfriend`.
pub async fn unfriend_form(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (member, _) = uc::visible_member(visitor.state(), me, MemberId(*id)).await?;
    visitor.ensure_session().await?;
    let cat = visitor.cat();
    Ok(confirm(
        &visitor,
        cat.t("profile.unfriend"),
        &cat.f("friends.unfriend_question", &[("nickname", &member.nickname)]),
        format!("/m/{}/unfriend", member.id),
        cat.t("profile.unfriend"),
    ))
}

/// `POST /m/{id}/unfriend`.
pub async fn unfriend(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    uc::unfriend(visitor.state(), me, MemberId(*id)).await?;
    visitor.flash(visitor.cat().t("friends.unfriended").into()).await?;
    Ok(visitor.redirect("/friends"))
}

/// `GET /m/{id}/block`: confirm blocking or unblocking.
pub async fn block_form(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    // The blocker still reaches the page of someone they blocked, to lift the block.
    let (member, blocked) = uc::block_target(visitor.state(), me, MemberId(*id)).await?;
    visitor.ensure_session().await?;
    let cat = visitor.cat();
    let (title, question) = if blocked {
        (
            cat.t("profile.unblock"),
            cat.f("block.unblock_question", &[("nickname", &member.nickname)]),
        )
    } else {
        (cat.t("profile.block"), cat.f("block.question", &[("nickname", &member.nickname)]))
    };
    Ok(confirm(&visitor, title, &question, format!("/m/{}/block", member.id), title))
}

/// `POST /m/{id}/block`: blocks, or lifts the block if there is one.
pub async fn block(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let now_blocked = uc::toggle_block(visitor.state(), me, MemberId(*id)).await?;
    let cat = visitor.cat();
    visitor.flash(cat.t(if now_blocked { "block.done" } else { "block.lifted" }).into()).await?;
    Ok(visitor.redirect("/home"))
}

/// `GET /m/{id}/mute`: confirm muting or unmuting.
pub async fn mute_form(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (member, muted) = uc::mute_target(visitor.state(), me, MemberId(*id)).await?;
    visitor.ensure_session().await?;
    let cat = visitor.cat();
    let (title, question) = if muted {
        (cat.t("profile.unmute"), cat.f("mute.unmute_question", &[("nickname", &member.nickname)]))
    } else {
        (cat.t("profile.mute"), cat.f("mute.question", &[("nickname", &member.nickname)]))
    };
    Ok(confirm(&visitor, title, &question, format!("/m/{}/mute", member.id), title))
}

/// `POST /m/{id}/mute`: mutes, or lifts the mute if there is one. The muted member is not told.
pub async fn mute(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let now_muted = uc::toggle_mute(visitor.state(), me, MemberId(*id)).await?;
    let cat = visitor.cat();
    visitor.flash(cat.t(if now_muted { "mute.done" } else { "mute.lifted" }).into()).await?;
    Ok(visitor.redirect(&format!("/m/{}", *id)))
}

/// Fields of the introduction form.
#[derive(Debug, Deserialize)]
pub struct IntroductionForm {
    #[serde(default)]
    body: String,
}

/// `GET /m/{id}/introduce`: write or edit an introduction of a friend.
pub async fn introduce_form(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (member, current) = uc::introduction_of(visitor.state(), me, MemberId(*id)).await?;
    visitor.ensure_session().await?;
    let subject = member.id;
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("introduce.title", &[("nickname", &member.nickname)]));
    page.push(post_form(
        format!("/m/{subject}/introduce"),
        vec![Field::new(
            "body",
            cat.t("introduce.body"),
            FieldKind::TextArea { value: current.unwrap_or_default(), rows: 5 },
        )],
        cat.t("introduce.submit"),
    ));
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `POST /m/{id}/introduce` (an empty text removes the introduction).
pub async fn introduce(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<IntroductionForm>,
    >,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let member = uc::friend(visitor.state(), me, MemberId(*id)).await?;
    let body = match text::clean_optional_multiline(&form.body, INTRODUCTION_TEXT_MAX) {
        Ok(b) => b,
        Err(p) => {
            let cat = visitor.cat();
            let mut page = Page::new(cat.f("introduce.title", &[("nickname", &member.nickname)]));
            page.push(Block::Notice(Notice::Error(problem_message(cat, p))));
            page.push(post_form(
                format!("/m/{}/introduce", member.id),
                vec![Field::new(
                    "body",
                    cat.t("introduce.body"),
                    FieldKind::TextArea { value: form.body.clone(), rows: 5 },
                )],
                cat.t("introduce.submit"),
            ));
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let subject = member.id;
    uc::introduce(visitor.state(), me, subject, body).await?;
    visitor.flash(visitor.cat().t("introduce.saved").into()).await?;
    Ok(visitor.redirect(&format!("/m/{subject}")))
}
