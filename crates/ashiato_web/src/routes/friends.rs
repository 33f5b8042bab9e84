//! Friend lists and friend requests (マイミク).

use actix_web::{HttpResponse, web};
use ashiato_core::{FriendRequestId, MemberId};
use ashiato_render::page::{Block, Inline, Page};
use ashiato_store::friends;

use crate::error::WebError;
use crate::form::{SjisForm, SjisQuery};
use crate::routes::profile::{TokenOnly, visible_member};
use crate::routes::{PAGE_SIZE, Paging, member_link, menu, pager, post_form, short_time};
use crate::state::now;
use crate::visitor::Visitor;

async fn friend_list_page(
    visitor: &Visitor,
    owner: MemberId,
    title: String,
    path: String,
    paging: &Paging,
) -> Result<HttpResponse, WebError> {
    let offset = paging.offset();
    let (count, list) = visitor
        .state()
        .run(move |c| {
            Ok((
                friends::friend_count(c, owner)?,
                friends::list_friends(c, owner, PAGE_SIZE + 1, offset)?,
            ))
        })
        .await?;
    let cat = visitor.cat();
    let mut page = Page::new(title);
    page.flash = visitor.take_flash().await?;
    page.push(Block::Heading(cat.f("home.friends_count", &[("n", &count.to_string())])));
    let has_more = list.len() > usize::try_from(PAGE_SIZE).unwrap_or(20);
    if list.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("home.no_friends"))]));
    } else {
        page.push(Block::List(
            list.iter()
                .take(usize::try_from(PAGE_SIZE).unwrap_or(20))
                .map(|m| vec![member_link(m)])
                .collect(),
        ));
    }
    if let Some(p) = pager(cat, &path, paging.number(), has_more) {
        page.push(p);
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `GET /friends`: my friends, with a link to pending requests.
pub async fn mine(visitor: Visitor, paging: SjisQuery<Paging>) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    let pending = visitor.state().run(move |c| friends::incoming_count(c, me)).await?;
    let cat = visitor.cat();
    let mut title = cat.t("friends.title").to_owned();
    if pending > 0 {
        title = format!("{title} ({})", cat.f("friends.pending", &[("n", &pending.to_string())]));
    }
    friend_list_page(&visitor, me, title, "/friends".into(), &paging).await
}

/// `GET /m/{id}/friends`: someone's friends, as their friend-list scope allows.
pub async fn of_member(
    visitor: Visitor,
    id: web::Path<i64>,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let (member, rel) = visible_member(&visitor, *id).await?;
    if !member.friends_scope.allows(rel) {
        return Err(WebError::NotFound);
    }
    let title = visitor.cat().f("friends.of", &[("nickname", &member.nickname)]);
    friend_list_page(&visitor, member.id, title, format!("/m/{}/friends", member.id), &paging).await
}

/// `GET /friends/requests`: requests waiting for my answer.
pub async fn requests(mut visitor: Visitor) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.ensure_session().await?;
    let list = visitor.state().run(move |c| friends::incoming(c, me)).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("friends.requests_title"));
    page.flash = visitor.take_flash().await?;
    if list.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("friends.no_requests"))]));
    }
    for r in &list {
        page.push(Block::Separator);
        page.push(Block::Paragraph(vec![
            member_link(&r.from),
            Inline::text(format!(" {}", short_time(r.created_at))),
        ]));
        if !r.message.is_empty() {
            page.push(Block::Text(r.message.clone()));
        }
        page.push(post_form(
            format!("/friends/requests/{}/accept", r.id),
            vec![],
            cat.t("friends.accept"),
        ));
        page.push(post_form(
            format!("/friends/requests/{}/reject", r.id),
            vec![],
            cat.t("friends.reject"),
        ));
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

async fn decide(
    visitor: Visitor,
    id: i64,
    form: &TokenOnly,
    accept: bool,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let config = visitor.state().config.clone();
    let actor = visitor.member.as_ref().map(|m| m.nickname.clone()).unwrap_or_default();
    let result = visitor
        .state()
        .run(move |c| {
            ashiato_store::write(c, |c| {
                let from = friends::decide(c, FriendRequestId(id), me, accept, now())?;
                if accept {
                    crate::mail::enqueue_notification(
                        c,
                        &config,
                        crate::mail::Event {
                            recipient: from,
                            actor: me,
                            kind: ashiato_store::mail::NotifyKind::FriendAccepted,
                            what: ashiato_mail::NotificationKind::FriendAccepted { actor },
                            path: format!("/m/{me}"),
                        },
                        now(),
                    )?;
                }
                Ok(from)
            })
        })
        .await;
    match result {
        Ok(_) => {
            let cat = visitor.cat();
            visitor
                .flash(cat.t(if accept { "friends.accepted" } else { "friends.rejected" }).into())
                .await?;
            Ok(visitor.redirect("/friends/requests"))
        }
        // Answering twice (a double submit) is harmless: the first answer stands.
        Err(WebError::NotFound) => Ok(visitor.redirect("/friends/requests")),
        Err(e) => Err(e),
    }
}

/// `POST /friends/requests/{id}/accept`.
pub async fn accept(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    decide(visitor, *id, &form, true).await
}

/// `POST /friends/requests/{id}/reject`.
pub async fn reject(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    decide(visitor, *id, &form, false).await
}
