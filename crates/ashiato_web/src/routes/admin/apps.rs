//! The console's app review: `/admin/apps` lists every app with its state; an admin approves
//! an app waiting for review, suspends a live one at once (hidden from members, its consumer
//! key refused by the Social API) or reinstates it. Each change is one audit row.

use actix_web::{HttpResponse, web};
use ashiato_core::AppId;
use ashiato_render::page::{Block, Inline, Page};

use super::{Admin, acting, console_menu, gate};
use crate::error::WebError;
use crate::form::{SjisForm, Submitted};
use crate::routes::post_form;
use crate::routes::profile::TokenOnly;

/// `GET /admin/apps`: every app, newest first, with the forms that change its state.
pub async fn list(Admin { mut visitor, .. }: Admin) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let apps = ashiato_app::moderation::apps(visitor.state()).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("admin.apps"));
    page.flash = visitor.take_flash().await?;
    console_menu(&mut page, &visitor);
    if apps.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("apps.none"))]));
    }
    for (app, by) in &apps {
        let mut line = vec![
            Inline::link(format!("/apps/{}/about", app.id), app.title.clone()),
            Inline::Strong(format!(" [{}]", cat.t(&format!("admin.app_{}", app.review_state)))),
            Inline::Break,
            Inline::text(app.start_url.clone()),
        ];
        if let Some(m) = by {
            line.push(Inline::Break);
            line.push(Inline::text(format!("{}: ", cat.t("admin.registered_by"))));
            line.push(Inline::link(format!("/admin/members/{}", m.id), m.nickname.clone()));
        }
        page.push(Block::Paragraph(line));
        let base = format!("/admin/apps/{}", app.id);
        if app.is_live() {
            page.push(post_form(format!("{base}/suspend"), vec![], cat.t("admin.app_suspend")));
        } else {
            page.push(post_form(format!("{base}/approve"), vec![], cat.t("admin.app_approve")));
        }
    }
    Ok(visitor.page(&page))
}

/// `POST /admin/apps/{id}/{approve|suspend}`.
pub async fn decide(
    path: web::Path<(i64, String)>,
    post: Submitted<SjisForm<TokenOnly>>,
) -> Result<HttpResponse, WebError> {
    let (Admin { visitor, id: admin }, _) = acting(post)?;
    let (id, what) = path.into_inner();
    let live = match what.as_str() {
        "approve" => true,
        "suspend" => false,
        _ => return Err(WebError::NotFound),
    };
    ashiato_app::moderation::review_app(visitor.state(), admin, AppId(id), live).await?;
    visitor.flash(visitor.cat().t("admin.done").into()).await?;
    Ok(visitor.redirect("/admin/apps"))
}
