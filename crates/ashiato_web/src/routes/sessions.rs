//! `/settings/sessions`: where the member is logged in (handset, carrier, last use), with
//! "log out this one" and "log out everywhere else".

use actix_web::{HttpResponse, web};
use ashiato_app::accounts as uc;
use ashiato_core::SessionId;
use ashiato_render::page::{Block, Inline, Page};

use crate::error::WebError;
use crate::form::{MemberPosted, SjisForm};
use crate::routes::profile::TokenOnly;
use crate::routes::{menu, post_form, short_time};
use crate::visitor::Member;

/// `GET /settings/sessions`.
pub async fn list(Member { mut visitor, id: me, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let current = visitor.session.as_ref().map(|s| s.id);
    let all = uc::sessions(visitor.state(), me).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("sessions.title"));
    page.flash = visitor.take_flash().await?;
    for s in &all {
        let device = s.device.clone().unwrap_or_else(|| cat.t("handset.unknown").to_owned());
        let carrier = s.carrier.as_deref().unwrap_or("other");
        let mut line = vec![
            Inline::Strong(format!("{device} ({carrier})")),
            Inline::Break,
            Inline::text(cat.f("sessions.last_seen", &[("time", &short_time(s.last_seen_at))])),
        ];
        if s.easy_login {
            line.push(Inline::text(format!(" {}", cat.t("sessions.easy"))));
        }
        if Some(s.id) == current {
            line.push(Inline::text(format!(" {}", cat.t("sessions.this"))));
            page.push(Block::Paragraph(line));
        } else {
            page.push(Block::Paragraph(line));
            page.push(post_form(
                format!("/settings/sessions/{}/logout", s.id),
                vec![],
                cat.t("sessions.logout_this"),
            ));
        }
    }
    if all.iter().any(|s| Some(s.id) != current) {
        page.push(post_form(
            "/settings/sessions/logout-others",
            vec![],
            cat.t("sessions.logout_others"),
        ));
    } else {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("sessions.only_this"))]));
    }
    page.push(Block::Paragraph(vec![Inline::link("/settings", cat.t("settings.title"))]));
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `POST /settings/sessions/{id}/logout`: ends one of my other sessions.
pub async fn end_one(
    path: web::Path<i64>,
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
) -> Result<HttpResponse, WebError> {
    uc::end_session(visitor.state(), me, SessionId(path.into_inner())).await?;
    visitor.flash(visitor.cat().t("sessions.ended").into()).await?;
    Ok(visitor.redirect("/settings/sessions"))
}

/// `POST /settings/sessions/logout-others`: ends every session but this one.
pub async fn end_others(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
) -> Result<HttpResponse, WebError> {
    let Some(keep) = visitor.session.as_ref().map(|s| s.id) else {
        return Err(WebError::Forbidden("no session".into()));
    };
    let n = uc::end_other_sessions(visitor.state(), me, keep).await?;
    visitor.flash(visitor.cat().f("sessions.ended_others", &[("n", &n.to_string())])).await?;
    Ok(visitor.redirect("/settings/sessions"))
}
