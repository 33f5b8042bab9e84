//! `/footsteps` (あしあと): who visited my pages, newest first.

use actix_web::HttpResponse;
use ashiato_render::page::{Block, Inline, Page};

use crate::error::WebError;
use crate::form::SjisQuery;
use crate::routes::{PAGE_SIZE, Paging, member_link, menu, pager, short_time};
use crate::visitor::Member;

/// One row per visitor with their latest visit in the last 30 days, and the total and today's
/// counts. Only the owner sees their own footsteps.
pub async fn show(
    Member { visitor, id: me, .. }: Member,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    let ashiato_app::footsteps::Page { total, today: today_count, visitors: rows } =
        ashiato_app::footsteps::page(visitor.state(), me, PAGE_SIZE + 1, paging.offset()).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("footsteps.title"));
    page.push(Block::Paragraph(vec![Inline::text(cat.f(
        "footsteps.counts",
        &[("today", &today_count.to_string()), ("total", &total.to_string())],
    ))]));
    let has_more = rows.len() > usize::try_from(PAGE_SIZE).unwrap_or(20);
    if rows.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("footsteps.none"))]));
    } else {
        page.push(Block::List(
            rows.iter()
                .take(usize::try_from(PAGE_SIZE).unwrap_or(20))
                .map(|v| {
                    vec![
                        Inline::text(format!("{} ", short_time(v.last_visit))),
                        member_link(&v.member),
                    ]
                })
                .collect(),
        ));
    }
    if let Some(p) = pager(cat, "/footsteps", paging.number(), has_more) {
        page.push(p);
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}
