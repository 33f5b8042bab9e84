//! `/admin`: the operators' console (docs/operations.md). Admins only: everyone else, logged
//! in or not, gets the same 404 as for a page that does not exist. A session that came from
//! easy login asks for the password first. Every change is a POST with the per-form token and
//! writes its audit row in the same transaction. Everything members wrote is shown through the
//! page model, which escapes it: this is where hostile content is read.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use ashiato_app::AppError;
use ashiato_app::moderation::{self as uc, MemberAction};
use ashiato_core::{Invalid, MemberId, Problem};
use ashiato_render::page::{Block, Field, FieldKind, Form, Inline, InputMode, Method, Page};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{SjisForm, SjisQuery, Submitted};
use crate::routes::settings::current_password_ok;
use crate::routes::{attach_errors, post_form, short_time};
use crate::visitor::Visitor;

pub mod apps;
pub mod reports;

/// An admin's request: the visitor is a logged-in admin (anyone else: 404).
pub struct Admin {
    /// The admin's visitor.
    pub visitor: Visitor,
    /// The admin.
    pub id: MemberId,
}

fn admin_of(visitor: Visitor) -> Result<Admin, WebError> {
    match visitor.member.as_ref() {
        Some(m) if m.is_admin => {
            let id = m.id;
            Ok(Admin { visitor, id })
        }
        _ => Err(WebError::NotFound),
    }
}

impl actix_web::FromRequest for Admin {
    type Error = WebError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Admin, WebError>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let visitor = Visitor::from_request(req, payload);
        Box::pin(async move { admin_of(visitor.await?) })
    }
}

/// A POST to the console: anyone but an admin gets the 404 first (before any token check, so
/// the console's existence is not revealed), then the per-form token must match.
fn checked<T>(post: Submitted<SjisForm<T>>) -> Result<(Admin, T), WebError> {
    let Submitted { visitor, form, fresh } = post;
    let admin = admin_of(visitor)?;
    if !fresh {
        return Err(WebError::Forbidden("missing or wrong CSRF token".into()));
    }
    Ok((admin, form.into_inner()))
}

/// A console action: [`checked`], and from a password session (an easy-login session sees
/// the password page instead of any form, so this refuses only a forged POST).
fn acting<T>(post: Submitted<SjisForm<T>>) -> Result<(Admin, T), WebError> {
    let (admin, form) = checked(post)?;
    if easy_session(&admin.visitor) {
        return Err(WebError::Forbidden("the console needs a password session".into()));
    }
    Ok((admin, form))
}

fn easy_session(visitor: &Visitor) -> bool {
    visitor.session.as_ref().is_some_and(|s| s.easy_login)
}

/// The console's own menu.
fn console_menu(page: &mut Page, visitor: &Visitor) {
    let cat = visitor.cat();
    page.push(Block::Paragraph(vec![
        Inline::link("/admin", cat.t("admin.dashboard")),
        Inline::text(" | "),
        Inline::link("/admin/reports", cat.t("admin.reports")),
        Inline::text(" | "),
        Inline::link("/admin/content", cat.t("admin.content")),
        Inline::text(" | "),
        Inline::link("/admin/members", cat.t("admin.members")),
        Inline::text(" | "),
        Inline::link("/admin/apps", cat.t("admin.apps")),
        Inline::text(" | "),
        Inline::link("/admin/audit", cat.t("admin.audit")),
        Inline::text(" | "),
        Inline::link("/admin/announcements", cat.t("admin.announcements")),
        Inline::text(" | "),
        Inline::link("/admin/invitations", cat.t("admin.invitations")),
        Inline::text(" | "),
        Inline::link("/home", cat.t("menu.home")),
    ]));
}

/// After an easy login the console first asks for the password.
fn password_page(visitor: &Visitor, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("admin.title"));
    page.push(Block::Paragraph(vec![Inline::text(cat.t("admin.password_first"))]));
    let mut fields = vec![Field::new("password", cat.t("field.password"), FieldKind::Password)];
    attach_errors(cat, &mut fields, errors);
    page.push(post_form("/admin/confirm", fields, cat.t("admin.continue")));
    page
}

/// The console page, or the password page first for an easy-login session.
fn gate(visitor: &Visitor) -> Option<HttpResponse> {
    easy_session(visitor).then(|| visitor.page(&password_page(visitor, &[])))
}

/// `GET /admin`: the dashboard.
pub async fn dashboard(Admin { mut visitor, .. }: Admin) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let d = uc::dashboard(visitor.state()).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("admin.title"));
    page.flash = visitor.take_flash().await?;
    console_menu(&mut page, &visitor);
    let f = &d.figures;
    let line = |key: &str, n: String| {
        vec![Inline::Strong(cat.t(key).to_owned()), Inline::text(format!(": {n}"))]
    };
    page.push(Block::List(vec![
        line(
            "admin.fig_members",
            format!("{} ({} {})", f.members, cat.t("admin.suspended"), f.suspended),
        ),
        line("admin.fig_active", format!("{} / {}", f.active_today, f.active_week)),
        line("admin.fig_posts", format!("{} / {}", f.entries_today, f.comments_today)),
        line("admin.fig_reports", d.open_reports.to_string()),
        line("admin.fig_outbox", f.outbox_waiting.to_string()),
        line(
            "admin.fig_footsteps",
            format!("{} ({} {})", d.footstep_backlog, cat.t("admin.dropped"), d.footsteps_dropped),
        ),
        line("admin.fig_gateways", d.gateways_verified.clone().unwrap_or_else(|| "-".into())),
    ]));
    page.push(Block::Heading(cat.t("admin.carriers").into()));
    let total: i64 = f.carriers.iter().map(|(_, n)| n).sum();
    page.push(Block::List(
        f.carriers
            .iter()
            .map(|(carrier, n)| {
                let share = if total > 0 { n * 100 / total } else { 0 };
                vec![Inline::text(format!("{carrier}: {n} ({share}%)"))]
            })
            .collect(),
    ));
    Ok(visitor.page(&page))
}

/// Fields of the password re-entry.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    password: String,
}

/// `POST /admin/confirm`: the password after an easy login; the session becomes a password
/// session (a new token: no fixation).
pub async fn confirm(post: Submitted<SjisForm<ConfirmForm>>) -> Result<HttpResponse, WebError> {
    let (Admin { mut visitor, id }, form) = checked(post)?;
    if !current_password_ok(&visitor, form.password.clone()).await? {
        let errors = [Invalid { field: "password", problem: Problem::BadCredentials }];
        let page = password_page(&visitor, &errors);
        return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
    }
    visitor.session = None;
    visitor.login(id).await?;
    Ok(visitor.redirect("/admin"))
}

/// The member search's query.
#[derive(Debug, Default, Deserialize)]
pub struct MemberQuery {
    #[serde(default)]
    q: String,
}

/// `GET /admin/members?q=`: search by address or nickname.
pub async fn members(
    Admin { mut visitor, .. }: Admin,
    query: SjisQuery<MemberQuery>,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let q = query.into_inner().q;
    let found = if q.trim().is_empty() {
        Vec::new()
    } else {
        uc::search(visitor.state(), q.clone()).await?
    };
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("admin.members"));
    console_menu(&mut page, &visitor);
    page.push(Block::Form(Form {
        action: "/admin/members".into(),
        method: Method::Get,
        fields: vec![Field::new(
            "q",
            cat.t("admin.search_hint"),
            FieldKind::Text { value: q, max_chars: Some(100), mode: InputMode::Alphabet },
        )],
        submit: cat.t("search.submit").into(),
        multipart: false,
    }));
    page.push(Block::List(
        found
            .iter()
            .map(|m| {
                let mut line = vec![
                    Inline::link(format!("/admin/members/{}", m.id), m.nickname.clone()),
                    Inline::text(format!(" <{}>", m.email)),
                ];
                if m.suspended.is_some() {
                    line.push(Inline::Strong(format!(" [{}]", cat.t("admin.suspended"))));
                }
                if m.is_admin {
                    line.push(Inline::text(format!(" [{}]", cat.t("admin.is_admin"))));
                }
                line
            })
            .collect(),
    ));
    Ok(visitor.page(&page))
}

fn member_page(visitor: &Visitor, file: &uc::MemberFile, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    let m = &file.member;
    let mut page = Page::new(format!("{} ({})", m.nickname, m.id));
    console_menu(&mut page, visitor);
    let yes_no = |b: bool| cat.t(if b { "handset.yes" } else { "handset.no" }).to_owned();
    let line = |key: &str, value: String| {
        vec![Inline::Strong(cat.t(key).to_owned()), Inline::text(format!(": {value}"))]
    };
    page.push(Block::List(vec![
        line("field.email", m.email.clone()),
        line("admin.joined", short_time(m.created_at)),
        line("admin.confirmed", yes_no(m.email_confirmed)),
        line("admin.is_admin", yes_no(m.is_admin)),
        line("admin.bindings", file.bindings.to_string()),
        line("admin.sessions", file.sessions.len().to_string()),
        line("admin.suspended", m.suspended.clone().unwrap_or_else(|| cat.t("handset.no").into())),
    ]));
    page.push(Block::Paragraph(vec![Inline::link(format!("/m/{}", m.id), cat.t("admin.profile"))]));
    let base = format!("/admin/members/{}", m.id);
    if m.suspended.is_some() {
        page.push(post_form(format!("{base}/unsuspend"), vec![], cat.t("admin.unsuspend")));
    } else {
        let mut fields = vec![Field::new(
            "reason",
            cat.t("admin.reason"),
            FieldKind::TextArea { value: String::new(), rows: 3 },
        )];
        attach_errors(cat, &mut fields, errors);
        page.push(post_form(format!("{base}/suspend"), fields, cat.t("admin.suspend")));
    }
    page.push(post_form(
        format!("{base}/clear-easy-login"),
        vec![],
        cat.t("admin.clear_easy_login"),
    ));
    page.push(post_form(format!("{base}/logout"), vec![], cat.t("admin.logout")));
    page
}

/// `GET /admin/members/{id}`.
pub async fn member(
    Admin { mut visitor, .. }: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let file = uc::member_file(visitor.state(), MemberId(*id)).await?;
    let mut page = member_page(&visitor, &file, &[]);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

/// Fields of the suspension form.
#[derive(Debug, Deserialize)]
pub struct SuspendForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/members/{id}/{action}`: suspend (with `reason`), unsuspend, clear-easy-login,
/// logout.
pub async fn act(
    path: web::Path<(i64, String)>,
    post: Submitted<SjisForm<SuspendForm>>,
) -> Result<HttpResponse, WebError> {
    let (Admin { visitor, id: admin }, form) = acting(post)?;
    let (member, name) = path.into_inner();
    let action = match name.as_str() {
        "suspend" => MemberAction::Suspend(form.reason),
        "unsuspend" => MemberAction::Unsuspend,
        "clear-easy-login" => MemberAction::ClearEasyLogin,
        "logout" => MemberAction::Logout,
        _ => return Err(WebError::NotFound),
    };
    let member = MemberId(member);
    match uc::act(visitor.state(), admin, member, action).await {
        Ok(_) => {
            visitor.flash(visitor.cat().t("admin.done").into()).await?;
            Ok(visitor.redirect(&format!("/admin/members/{member}")))
        }
        Err(AppError::Rejected(problem)) => {
            let file = uc::member_file(visitor.state(), member).await?;
            let errors = [Invalid { field: "reason", problem }];
            let page = member_page(&visitor, &file, &errors);
            Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/audit`: the audit log, newest first.
pub async fn audit(Admin { mut visitor, .. }: Admin) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let entries = uc::audit_log(visitor.state(), 200).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("admin.audit"));
    console_menu(&mut page, &visitor);
    page.push(Block::List(
        entries
            .iter()
            .map(|e| {
                vec![Inline::text(format!(
                    "{} {} {} {} {}",
                    short_time(e.at),
                    e.actor,
                    e.action,
                    e.target,
                    e.reason
                ))]
            })
            .collect(),
    ));
    Ok(visitor.page(&page))
}

/// Fields of the announcement form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct AnnouncementForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
}

/// `YYYY-MM-DD HH:MM` in Japan time.
fn jst_minute(t: ashiato_core::Timestamp) -> String {
    let (y, m, d) = t.civil_date(ashiato_core::time::JST_OFFSET_MINUTES);
    let (hh, mm) = t.hour_minute(ashiato_core::time::JST_OFFSET_MINUTES);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}")
}

fn announcements_page(
    visitor: &Visitor,
    list: &[ashiato_store::announcements::Announcement],
    form: &AnnouncementForm,
    errors: &[Invalid],
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("admin.announcements"));
    console_menu(&mut page, visitor);
    for a in list {
        page.push(Block::Paragraph(vec![
            Inline::Strong(a.title.clone()),
            Inline::text(format!(" ({} – {})", jst_minute(a.starts_at), jst_minute(a.ends_at))),
            Inline::Break,
            Inline::text(a.body.clone()),
        ]));
        page.push(post_form(
            format!("/admin/announcements/{}/delete", a.id),
            vec![],
            cat.t("admin.announcement_delete"),
        ));
    }
    let text = |value: &str, max: usize| FieldKind::Text {
        value: value.to_owned(),
        max_chars: Some(max),
        mode: InputMode::Hiragana,
    };
    let mut fields = vec![
        Field::new(
            "title",
            cat.t("admin.announcement_title"),
            text(&form.title, uc::ANNOUNCEMENT_TITLE_MAX),
        ),
        Field::new(
            "body",
            cat.t("admin.announcement_body"),
            FieldKind::TextArea { value: form.body.clone(), rows: 4 },
        ),
        Field::new("starts", cat.t("admin.announcement_starts"), text(&form.starts, 16)),
        Field::new("ends", cat.t("admin.announcement_ends"), text(&form.ends, 16)),
    ];
    attach_errors(cat, &mut fields, errors);
    page.push(Block::Heading(cat.t("admin.announcement_new").into()));
    page.push(post_form("/admin/announcements", fields, cat.t("admin.announcement_publish")));
    page
}

/// `GET /admin/announcements`: the list and the form.
pub async fn announcements(Admin { mut visitor, .. }: Admin) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let list = uc::announcements(visitor.state()).await?;
    let now = ashiato_app::now();
    let form = AnnouncementForm {
        starts: jst_minute(now),
        ends: jst_minute(now.plus_millis(7 * ashiato_core::time::DAY_MS)),
        ..AnnouncementForm::default()
    };
    let mut page = announcements_page(&visitor, &list, &form, &[]);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

/// `POST /admin/announcements`: publishes one; every problem is shown next to its field.
pub async fn announce(
    post: Submitted<SjisForm<AnnouncementForm>>,
) -> Result<HttpResponse, WebError> {
    let (Admin { visitor, id: admin }, form) = acting(post)?;
    use ashiato_core::text::{clean_line, clean_multiline};
    let mut errors = Vec::new();
    let title = clean_line(&form.title, uc::ANNOUNCEMENT_TITLE_MAX)
        .map_err(|problem| errors.push(Invalid { field: "title", problem }))
        .ok();
    let body = clean_multiline(&form.body, uc::ANNOUNCEMENT_BODY_MAX)
        .map_err(|problem| errors.push(Invalid { field: "body", problem }))
        .ok();
    let starts = ashiato_core::time::parse_jst_minute(&form.starts);
    if starts.is_none() {
        errors.push(Invalid { field: "starts", problem: Problem::NotAllowed });
    }
    let ends =
        ashiato_core::time::parse_jst_minute(&form.ends).filter(|e| starts.is_none_or(|s| *e > s));
    if ends.is_none() {
        errors.push(Invalid { field: "ends", problem: Problem::NotAllowed });
    }
    match (title, body, starts, ends) {
        (Some(title), Some(body), Some(starts), Some(ends)) if errors.is_empty() => {
            uc::announce(visitor.state(), admin, title, body, (starts, ends)).await?;
            visitor.flash(visitor.cat().t("admin.done").into()).await?;
            Ok(visitor.redirect("/admin/announcements"))
        }
        _ => {
            let list = uc::announcements(visitor.state()).await?;
            let page = announcements_page(&visitor, &list, &form, &errors);
            Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

/// `POST /admin/announcements/{id}/delete`.
pub async fn withdraw(
    id: web::Path<i64>,
    post: Submitted<SjisForm<crate::routes::profile::TokenOnly>>,
) -> Result<HttpResponse, WebError> {
    let (Admin { visitor, id: admin }, _) = acting(post)?;
    uc::withdraw_announcement(visitor.state(), admin, *id).await?;
    visitor.flash(visitor.cat().t("admin.done").into()).await?;
    Ok(visitor.redirect("/admin/announcements"))
}

/// `GET /admin/invitations`: invitations with their state; open ones can be revoked.
pub async fn invitations(Admin { mut visitor, .. }: Admin) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let list = uc::invitations(visitor.state()).await?;
    let now = ashiato_app::now();
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("admin.invitations"));
    page.flash = visitor.take_flash().await?;
    console_menu(&mut page, &visitor);
    for inv in &list {
        let state = if inv.used {
            cat.t("admin.invitation_used")
        } else if inv.expires_at <= now {
            cat.t("admin.invitation_expired")
        } else {
            cat.t("admin.invitation_open")
        };
        let from = inv.inviter.clone().unwrap_or_else(|| cat.t("admin.operator").to_owned());
        page.push(Block::Paragraph(vec![Inline::text(format!(
            "#{} {} → {} ({} – {}) [{state}]",
            inv.id,
            from,
            inv.email.as_deref().unwrap_or("-"),
            short_time(inv.created_at),
            short_time(inv.expires_at),
        ))]));
        if !inv.used && inv.expires_at > now {
            page.push(post_form(
                format!("/admin/invitations/{}/revoke", inv.id),
                vec![],
                cat.t("admin.invitation_revoke"),
            ));
        }
    }
    Ok(visitor.page(&page))
}

/// `POST /admin/invitations/{id}/revoke`.
pub async fn revoke_invitation(
    id: web::Path<i64>,
    post: Submitted<SjisForm<crate::routes::profile::TokenOnly>>,
) -> Result<HttpResponse, WebError> {
    let (Admin { visitor, id: admin }, _) = acting(post)?;
    let revoked = uc::revoke_invitation(visitor.state(), admin, *id).await?;
    let key = if revoked { "admin.done" } else { "admin.invitation_not_open" };
    visitor.flash(visitor.cat().t(key).into()).await?;
    Ok(visitor.redirect("/admin/invitations"))
}
