//! Friend lists and friend requests (マイミク).

use actix_web::{HttpResponse, web};
use ashiato_app::AppError;
use ashiato_app::friends::{self as uc, FriendList};
use ashiato_core::{FriendRequestId, MemberId};
use ashiato_render::page::{Block, Inline, Page};

use crate::error::WebError;
use crate::form::{MemberPosted, SjisForm, SjisQuery};
use crate::routes::profile::TokenOnly;
use crate::routes::{PAGE_SIZE, Paging, member_link, menu, pager, post_form, short_time};
use crate::visitor::{Member, Visitor};

async fn friend_list_page(
    visitor: &Visitor,
    list: FriendList,
    title: String,
    path: String,
    paging: &Paging,
) -> Result<HttpResponse, WebError> {
    let FriendList { count, friends: list } = list;
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
pub async fn mine(
    Member { visitor, id: me, .. }: Member,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    let (pending, list) =
        uc::my_friends(visitor.state(), me, PAGE_SIZE + 1, paging.offset()).await?;
    let cat = visitor.cat();
    let mut title = cat.t("friends.title").to_owned();
    if pending > 0 {
        title = format!("{title} ({})", cat.f("friends.pending", &[("n", &pending.to_string())]));
    }
    friend_list_page(&visitor, list, title, "/friends".into(), &paging).await
}

/// `GET /m/{id}/friends`: someone's friends, as their friend-list scope allows.
pub async fn of_member(
    Member { visitor, id: me, .. }: Member,
    id: web::Path<i64>,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    let (member, list) =
        uc::friends_of(visitor.state(), me, MemberId(*id), PAGE_SIZE + 1, paging.offset()).await?;
    let title = visitor.cat().f("friends.of", &[("nickname", &member.nickname)]);
    friend_list_page(&visitor, list, title, format!("/m/{}/friends", member.id), &paging).await
}

/// `GET /friends/requests`: requests waiting for my answer.
pub async fn requests(
    Member { mut visitor, id: me, .. }: Member,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let list = uc::incoming_requests(visitor.state(), me).await?;
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
    Member { visitor, id: me, nickname }: Member,
    id: i64,
    accept: bool,
) -> Result<HttpResponse, WebError> {
    match uc::answer(visitor.state(), me, nickname, FriendRequestId(id), accept).await {
        Ok(_) => {
            let cat = visitor.cat();
            visitor
                .flash(cat.t(if accept { "friends.accepted" } else { "friends.rejected" }).into())
                .await?;
            Ok(visitor.redirect("/friends/requests"))
        }
        // Answering twice (a double submit) is harmless: the first answer stands.
        Err(AppError::NotFound) => Ok(visitor.redirect("/friends/requests")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /friends/requests/{id}/accept`.
pub async fn accept(
    MemberPosted { member, .. }: MemberPosted<SjisForm<TokenOnly>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    decide(member, *id, true).await
}

/// `POST /friends/requests/{id}/reject`.
pub async fn reject(
    MemberPosted { member, .. }: MemberPosted<SjisForm<TokenOnly>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    decide(member, *id, false).await
}
