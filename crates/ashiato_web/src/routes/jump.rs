//! `/jump`: the interstitial every link that leaves the site goes through.
//!
//! Keitai browsers send the previous page's URL as Referer, and a redirect does not scrub it
//! (security.md §2). The page that links out is this one, whose own URL carries no session
//! token, and the reader clicks through themselves: no automatic redirect is relied on. Only
//! targets we signed are shown, so the page is no open redirector (S-12).

use actix_web::{HttpResponse, web};
use ashiato_render::page::{Block, Inline, Link, Notice, Page};
use serde::Deserialize;

use crate::error::WebError;
use crate::visitor::Visitor;

/// `?to=URL&sig=HMAC`.
#[derive(Debug, Deserialize)]
pub struct JumpQuery {
    to: String,
    sig: String,
}

/// `GET /jump`.
pub async fn jump(
    visitor: Visitor,
    query: web::Query<JumpQuery>,
) -> Result<HttpResponse, WebError> {
    let JumpQuery { to, sig } = query.into_inner();
    let signed = visitor.state().secret.verify_hex("jump", &[to.as_bytes()], &sig);
    let web_url = to.starts_with("http://") || to.starts_with("https://");
    if !signed || !web_url {
        return Err(WebError::BadRequest("unsigned or non-web jump target".into()));
    }
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("jump.title"));
    page.push(Block::Notice(Notice::Info(cat.t("jump.leaving").into())));
    page.push(Block::Paragraph(vec![Inline::Link(Link::external(to.clone(), to))]));
    page.push(Block::Paragraph(vec![Inline::text(cat.t("jump.back"))]));
    Ok(visitor.page_leaving(&page))
}
