//! Member pages: the profile, friend requests, introductions, unfriend, block.

use actix_web::HttpResponse;
use actix_web::web;
use ashiato_core::content::{INTRODUCTION_TEXT_MAX, REQUEST_MESSAGE_MAX};
use ashiato_core::footstep::{Visit, footstep_of};
use ashiato_core::{MemberId, Problem, Relation, text};
use ashiato_render::page::{Block, Field, FieldKind, Inline, Notice, Page};
use ashiato_store::{accounts, diary, friends, members, relation};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::SjisForm;
use crate::routes::text::member_text;
use crate::routes::{member_link, menu, post_form, problem_message, short_time};
use crate::state::now;
use crate::visitor::Visitor;

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
    let owner = MemberId(id);
    let (member, rel) = visitor
        .state()
        .run(move |c| {
            Ok((accounts::find_member(c, owner)?, relation::relation(c, Some(viewer), owner)?))
        })
        .await?;
    if rel == Relation::Blocked {
        return Err(WebError::NotFound);
    }
    Ok((member, rel))
}

/// `GET /m/{id}`: the profile.
pub async fn show(visitor: Visitor, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    let (member, rel) = visible_member(&visitor, *id).await?;
    leave_footstep(&visitor, member.id, rel);
    let owner = member.id;
    let photo = visitor.state().run(move |c| ashiato_store::photos::member_photo(c, owner)).await?;
    let (fields, intros, recent, diary_count, pending_out, pending_in, blocked) = visitor
        .state()
        .run(move |c| {
            Ok((
                members::free_fields(c, owner)?,
                friends::introductions_of(c, owner)?,
                diary::list_visible(c, owner, rel, 5, 0)?,
                diary::count_visible(c, owner, rel)?,
                friends::has_pending(c, me, owner)?,
                friends::has_pending(c, owner, me)?,
                relation::has_blocked(c, me, owner)?,
            ))
        })
        .await?;
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
            format!("/m/{owner}/block"),
            cat.t(if blocked { "profile.unblock" } else { "profile.block" }),
        )]);
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
    csrf: Option<String>,
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
    mut visitor: Visitor,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let (member, _) = visible_member(&visitor, *id).await?;
    visitor.ensure_session().await?;
    Ok(visitor.page(&request_page(&visitor, &member, "", None)))
}

/// `POST /m/{id}/friend-request`.
pub async fn request(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<RequestForm>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let (member, _) = visible_member(&visitor, *id).await?;
    let message = match text::clean_optional_multiline(&form.message, REQUEST_MESSAGE_MAX) {
        Ok(m) => m,
        Err(p) => {
            let page = request_page(
                &visitor,
                &member,
                &form.message,
                Some(problem_message(visitor.cat(), p)),
            );
            return Ok(
                visitor.page_with_status(&page, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
            );
        }
    };
    let to = member.id;
    let config = visitor.state().config.clone();
    let actor = visitor.member.as_ref().map(|m| m.nickname.clone()).unwrap_or_default();
    let result = visitor
        .state()
        .run(move |c| {
            ashiato_store::write(c, |c| {
                let id = friends::request(c, me, to, &message, now())?;
                crate::mail::enqueue_notification(
                    c,
                    &config,
                    crate::mail::Event {
                        recipient: to,
                        actor: me,
                        kind: ashiato_store::mail::NotifyKind::FriendRequest,
                        what: ashiato_mail::NotificationKind::FriendRequest { actor },
                        path: "/friends/requests".into(),
                    },
                    now(),
                )?;
                Ok(id)
            })
        })
        .await;
    let cat = visitor.cat();
    match result {
        Ok(_) => visitor.flash(cat.t("friends.request_sent").into()).await?,
        // Already friends, already asked, or a block: say it plainly, change nothing.
        Err(WebError::Rejected(Problem::NotAllowed)) => {
            visitor.flash(cat.t("friends.request_not_possible").into()).await?;
        }
        Err(e) => return Err(e),
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

/// Fields of forms that carry nothing but the CSRF token.
#[derive(Debug, Deserialize)]
pub struct TokenOnly {
    /// The form's CSRF token.
    pub csrf: Option<String>,
}

/// `GET /m/{id}/unfriend`.
pub async fn unfriend_form(
    mut visitor: Visitor,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let (member, _) = visible_member(&visitor, *id).await?;
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
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let (member, _) = visible_member(&visitor, *id).await?;
    let other = member.id;
    visitor.state().run(move |c| friends::unfriend(c, me, other)).await?;
    visitor.flash(visitor.cat().t("friends.unfriended").into()).await?;
    Ok(visitor.redirect("/friends"))
}

/// `GET /m/{id}/block`: confirm blocking or unblocking.
pub async fn block_form(
    mut visitor: Visitor,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    // The blocker still reaches the page of someone they blocked, to lift the block.
    let other = MemberId(*id);
    let (member, blocked) = visitor
        .state()
        .run(move |c| Ok((accounts::find_member(c, other)?, relation::has_blocked(c, me, other)?)))
        .await?;
    if !blocked && visitor.state().run(move |c| relation::blocked_either_way(c, me, other)).await? {
        return Err(WebError::NotFound);
    }
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
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let other = MemberId(*id);
    if other == me {
        return Err(WebError::NotFound);
    }
    let now_blocked = visitor
        .state()
        .run(move |c| {
            accounts::find_member(c, other)?;
            ashiato_store::write(c, |c| {
                if relation::has_blocked(c, me, other)? {
                    relation::unblock(c, me, other)?;
                    Ok(false)
                } else {
                    relation::block(c, me, other, now())?;
                    Ok(true)
                }
            })
        })
        .await?;
    let cat = visitor.cat();
    visitor.flash(cat.t(if now_blocked { "block.done" } else { "block.lifted" }).into()).await?;
    Ok(visitor.redirect("/home"))
}

/// Fields of the introduction form.
#[derive(Debug, Deserialize)]
pub struct IntroductionForm {
    #[serde(default)]
    body: String,
    csrf: Option<String>,
}

/// `GET /m/{id}/introduce`: write or edit an introduction of a friend.
pub async fn introduce_form(
    mut visitor: Visitor,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let (member, rel) = visible_member(&visitor, *id).await?;
    if rel != Relation::Friend {
        return Err(WebError::NotFound);
    }
    visitor.ensure_session().await?;
    let me = visitor.member_id();
    let subject = member.id;
    let current = visitor
        .state()
        .run(move |c| {
            Ok(friends::introductions_of(c, subject)?
                .into_iter()
                .find(|(a, _)| Some(a.id) == me)
                .map(|(_, b)| b))
        })
        .await?;
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
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<IntroductionForm>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let (member, rel) = visible_member(&visitor, *id).await?;
    if rel != Relation::Friend {
        return Err(WebError::NotFound);
    }
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
            return Ok(
                visitor.page_with_status(&page, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
            );
        }
    };
    let subject = member.id;
    visitor
        .state()
        .run(move |c| ashiato_store::write(c, |c| friends::introduce(c, me, subject, &body, now())))
        .await?;
    visitor.flash(visitor.cat().t("introduce.saved").into()).await?;
    Ok(visitor.redirect(&format!("/m/{subject}")))
}
