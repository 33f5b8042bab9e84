//! Password reset by a mailed link, and confirming an address by the link mailed to it.
//!
//! Both links arrive by mail, so they carry no session: the page they open makes an anonymous
//! session (a `ksid` on handsets without cookies) only to give its form a token. Opening a
//! link changes nothing; the button on its page does (mail scanners and prefetchers open links
//! too).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use ashiato_app::AppError;
use ashiato_app::recovery as uc;
use ashiato_core::Problem;
use ashiato_render::page::{Block, Field, FieldKind, Form, Inline, Method, Notice, Page};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{MemberPosted, Posted, SjisForm, Submitted};
use crate::routes::profile::TokenOnly;
use crate::routes::{menu, problem_message};
use crate::visitor::{Member, Visitor};

/// Fields of the reset request form.
#[derive(Debug, Default, Deserialize)]
pub struct ResetRequestForm {
    #[serde(default)]
    email: String,
}

fn request_page(visitor: &Visitor, email: &str, notice: Option<Notice>) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("reset.title"));
    if let Some(n) = notice {
        page.push(Block::Notice(n));
    }
    page.push(Block::Paragraph(vec![Inline::text(cat.t("reset.explain"))]));
    page.push(Block::Form(Form {
        action: "/password/reset".into(),
        method: Method::Post,
        fields: vec![Field::new("email", cat.t("field.email"), FieldKind::Email(email.into()))],
        submit: cat.t("reset.send").into(),
        multipart: false,
    }));
    page.menu = menu(cat, visitor.member.is_some());
    page
}

/// `GET /password/reset`: asks for the address.
pub async fn request_form(mut visitor: Visitor) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    Ok(visitor.page(&request_page(&visitor, "", None)))
}

/// `POST /password/reset`: mails a link when the address is a member's; the answer is the same
/// either way.
pub async fn request(
    post: Submitted<SjisForm<ResetRequestForm>>,
) -> Result<HttpResponse, WebError> {
    let (visitor, form) = match post {
        Submitted { visitor, form, fresh: true } => (visitor, form.into_inner()),
        Submitted { mut visitor, form, fresh: false } => {
            visitor.ensure_session().await?;
            let notice = Notice::Error(visitor.cat().t("field.csrf_expired").into());
            let page = request_page(&visitor, &form.email, Some(notice));
            return Ok(visitor.page_with_status(&page, StatusCode::FORBIDDEN));
        }
    };
    uc::request_reset(visitor.state(), &form.email).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("reset.title"));
    let minutes = uc::RESET_MINUTES.to_string();
    page.push(Block::Notice(Notice::Info(cat.f("reset.sent", &[("minutes", &minutes)]))));
    page.push(Block::Paragraph(vec![Inline::link("/login", cat.t("menu.login"))]));
    page.menu = menu(cat, visitor.member.is_some());
    Ok(visitor.page(&page))
}

/// A page saying why a mailed link cannot be used, with the way to a new one.
fn link_error_page(visitor: &Visitor, problem: Problem, again: (&str, &str)) -> HttpResponse {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("reset.link_title"));
    page.push(Block::Notice(Notice::Error(problem_message(cat, problem))));
    page.push(Block::Paragraph(vec![Inline::link(again.0, cat.t(again.1))]));
    page.menu = menu(cat, visitor.member.is_some());
    let status = match problem {
        Problem::LinkUnknown => StatusCode::NOT_FOUND,
        _ => StatusCode::GONE,
    };
    visitor.page_with_status(&page, status)
}

/// Fields of the new-password form.
#[derive(Debug, Default, Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
}

fn new_password_page(
    visitor: &Visitor,
    token: &str,
    nickname: &str,
    error: Option<String>,
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("reset.new_title"));
    page.push(Block::Paragraph(vec![Inline::text(
        cat.f("reset.greeting", &[("nickname", nickname)]),
    )]));
    let mut field = Field::new("password", cat.t("settings.new_password"), FieldKind::Password);
    field.error = error;
    page.push(Block::Form(Form {
        action: format!("/password/reset/{token}"),
        method: Method::Post,
        fields: vec![field],
        submit: cat.t("reset.set").into(),
        multipart: false,
    }));
    page.menu = menu(cat, visitor.member.is_some());
    page
}

const RESET_AGAIN: (&str, &str) = ("/password/reset", "reset.again");

/// `GET /password/reset/{token}`: the new-password form, when the link is good.
pub async fn new_password_form(
    mut visitor: Visitor,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let nickname = match uc::reset_link(visitor.state(), token.clone()).await {
        Ok(n) => n,
        Err(AppError::Rejected(p)) => return Ok(link_error_page(&visitor, p, RESET_AGAIN)),
        Err(e) => return Err(e.into()),
    };
    visitor.ensure_session().await?;
    Ok(visitor.page(&new_password_page(&visitor, &token, &nickname, None)))
}

/// The new-password form again with `error` (while the link is still good), or the page saying
/// why the link can no longer be used.
async fn form_again(
    visitor: &Visitor,
    token: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    match uc::reset_link(visitor.state(), token.to_owned()).await {
        Ok(nickname) => {
            let page = new_password_page(visitor, token, &nickname, error);
            Ok(visitor.page_with_status(&page, status))
        }
        Err(AppError::Rejected(p)) => Ok(link_error_page(visitor, p, RESET_AGAIN)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /password/reset/{token}`: sets the password, ends every session of the member and
/// logs them in here.
pub async fn set_password(
    token: web::Path<String>,
    post: Submitted<SjisForm<NewPasswordForm>>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let (mut visitor, form) = match post {
        Submitted { visitor, form, fresh: true } => (visitor, form.into_inner()),
        Submitted { mut visitor, fresh: false, .. } => {
            visitor.ensure_session().await?;
            let error = Some(visitor.cat().t("field.csrf_expired").to_owned());
            return form_again(&visitor, &token, error, StatusCode::FORBIDDEN).await;
        }
    };
    match uc::reset_password(visitor.state(), token.clone(), form.password).await {
        Ok(id) => {
            visitor.login(id).await?;
            visitor.flash(visitor.cat().t("reset.done").into()).await?;
            Ok(visitor.redirect("/home"))
        }
        Err(AppError::Rejected(
            p @ (Problem::LinkUnknown | Problem::LinkUsed | Problem::LinkExpired),
        )) => Ok(link_error_page(&visitor, p, RESET_AGAIN)),
        Err(AppError::Rejected(p)) => {
            let error = Some(problem_message(visitor.cat(), p));
            form_again(&visitor, &token, error, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

const CONFIRM_AGAIN: (&str, &str) = ("/home", "menu.home");

/// `GET /confirm/{token}`: a button that confirms the address the link was mailed to.
pub async fn confirm_form(
    mut visitor: Visitor,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("confirm.title"));
    page.push(Block::Paragraph(vec![Inline::text(cat.t("confirm.question"))]));
    page.push(Block::Form(Form {
        action: format!("/confirm/{}", token.into_inner()),
        method: Method::Post,
        fields: vec![],
        submit: cat.t("confirm.submit").into(),
        multipart: false,
    }));
    page.menu = menu(cat, visitor.member.is_some());
    Ok(visitor.page(&page))
}

/// `POST /confirm/{token}`: confirms the address.
pub async fn confirm(
    token: web::Path<String>,
    Posted { visitor, .. }: Posted<SjisForm<TokenOnly>>,
) -> Result<HttpResponse, WebError> {
    match uc::confirm(visitor.state(), token.into_inner()).await {
        Ok((_, address)) => {
            let cat = visitor.cat();
            let mut page = Page::new(cat.t("confirm.title"));
            page.push(Block::Notice(Notice::Info(cat.f("confirm.done", &[("address", &address)]))));
            let next = if visitor.member.is_some() { "/home" } else { "/login" };
            let text = if visitor.member.is_some() { "menu.home" } else { "menu.login" };
            page.push(Block::Paragraph(vec![Inline::link(next, cat.t(text))]));
            page.menu = menu(cat, visitor.member.is_some());
            Ok(visitor.page(&page))
        }
        Err(AppError::Rejected(p)) => Ok(link_error_page(&visitor, p, CONFIRM_AGAIN)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/confirm`: mails a fresh confirmation link to each unconfirmed address (the
/// reminder's button on the home page and the mail settings).
pub async fn resend(
    MemberPosted { member: Member { visitor, id, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
) -> Result<HttpResponse, WebError> {
    let sent = uc::resend_confirmation(visitor.state(), id).await?;
    let key = if sent > 0 { "confirm.resent" } else { "confirm.not_resent" };
    visitor.flash(visitor.cat().t(key).into()).await?;
    Ok(visitor.redirect("/home"))
}

/// The home page's reminder: the addresses that wait for confirmation (the login address when
/// `email` is given, the phone address when `phone`), with the resend button.
pub fn reminder(visitor: &Visitor, email: Option<&str>, phone: bool) -> Vec<Block> {
    let cat = visitor.cat();
    let mut blocks = Vec::new();
    if let Some(address) = email {
        let text = cat.f("confirm.reminder_email", &[("address", address)]);
        blocks.push(Block::Notice(Notice::Error(text)));
    }
    if phone {
        blocks.push(Block::Notice(Notice::Error(cat.t("confirm.reminder_phone").into())));
    }
    if !blocks.is_empty() {
        blocks.push(Block::Form(Form {
            action: "/settings/confirm".into(),
            method: Method::Post,
            fields: vec![],
            submit: cat.t("confirm.resend").into(),
            multipart: false,
        }));
    }
    blocks
}
