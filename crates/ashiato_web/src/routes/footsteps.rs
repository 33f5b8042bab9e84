//! `/footsteps` (あしあと): who visited my pages, newest first.

use actix_web::HttpResponse;
use ashiato_core::time::{DAY_MS, JST_OFFSET_MINUTES};
use ashiato_render::page::{Block, Inline, Page};
use ashiato_store::footsteps;

use crate::error::WebError;
use crate::form::SjisQuery;
use crate::routes::{PAGE_SIZE, Paging, member_link, menu, pager, short_time};
use crate::state::now;
use crate::visitor::Visitor;

/// One row per visitor with their latest visit in the last 30 days, and the total and today's
/// counts. Only the owner sees their own footsteps.
pub async fn show(visitor: Visitor, paging: SjisQuery<Paging>) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    // Visits still queued in memory belong on this page too.
    let recorder = visitor.state().footsteps.clone();
    actix_web::web::block(move || recorder.flush_for(me))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let t = now();
    let since = ashiato_core::Timestamp(t.0 - visitor.state().config.footstep_days * DAY_MS);
    let today = t.day_in_zone(JST_OFFSET_MINUTES);
    let offset = paging.offset();
    let (total, today_count, rows) = visitor
        .state()
        .run(move |c| {
            Ok((
                footsteps::total(c, me)?,
                footsteps::count_on_day(c, me, today)?,
                footsteps::visitors(c, me, since, PAGE_SIZE + 1, offset)?,
            ))
        })
        .await?;
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
