//! The top page and a member's home.

use actix_web::HttpResponse;
use ashiato_render::page::{Block, Inline, Page};
use ashiato_store::friends;

use crate::error::WebError;
use crate::routes::{auth, menu};
use crate::visitor::Visitor;

/// How many friends the home page lists.
const HOME_FRIENDS: i64 = 20;

/// `/`: the home page for members, the login page for everyone else.
pub async fn top(visitor: Visitor) -> Result<HttpResponse, WebError> {
    if visitor.member.is_some() { home(visitor).await } else { auth::login_form(visitor).await }
}

/// `/home`: who is logged in and their friends.
pub async fn home(visitor: Visitor) -> Result<HttpResponse, WebError> {
    let Some(member) = visitor.member.clone() else { return Ok(visitor.login_redirect()) };
    let id = member.id;
    let (count, list) = visitor
        .state()
        .run(move |c| {
            Ok((friends::friend_count(c, id)?, friends::list_friends(c, id, HOME_FRIENDS, 0)?))
        })
        .await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("home.title", &[("nickname", &member.nickname)]));
    page.flash = visitor.take_flash().await?;
    page.push(Block::Heading(cat.f("home.friends_count", &[("n", &count.to_string())])));
    if list.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("home.no_friends"))]));
    } else {
        page.push(Block::List(
            list.iter()
                .map(|f| vec![Inline::link(format!("/m/{}", f.id), f.nickname.clone())])
                .collect(),
        ));
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}
