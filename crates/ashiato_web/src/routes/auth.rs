//! Logging in and out, joining by invitation, inviting friends.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use ashiato_app::AppError;
use ashiato_app::accounts as uc;
use ashiato_core::account::{Email, NewMember};
use ashiato_core::{Invalid, Problem};
use ashiato_render::page::{
    Block, Field, FieldKind, Form, Inline, InputMode, Method, Notice, Page,
};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{MemberPosted, Posted, SjisForm, Submitted};
use crate::routes::profile::TokenOnly;
use crate::routes::{attach_errors, menu, problem_message};
use crate::visitor::{Member, Visitor};

/// Fields of the login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// The key of a draft kept when a form arrived after the session expired.
    #[serde(default)]
    draft: String,
}

/// The easy-login button's form.
#[derive(Debug, Deserialize)]
pub struct EasyLoginForm {
    #[serde(default)]
    draft: String,
}

fn login_page(
    visitor: &Visitor,
    email: &str,
    error: Option<String>,
    easy: bool,
    draft: &str,
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("login.title"));
    if let Some(e) = error {
        page.push(Block::Notice(Notice::Error(e)));
    }
    // A form was sent after the session expired; its text is kept for after the login.
    let draft_field = (!draft.is_empty()).then(|| Field::hidden("draft", draft.to_owned()));
    if draft_field.is_some() {
        page.push(Block::Notice(Notice::Info(cat.t("draft.login_notice").into())));
    }
    if easy {
        // This handset's trusted subscriber ID is bound to a member: one button logs in.
        page.push(Block::Form(Form {
            action: "/login/easy".into(),
            method: Method::Post,
            fields: draft_field.iter().cloned().collect(),
            submit: cat.t("login.easy").into(),
            multipart: false,
        }));
    }
    let mut fields = vec![
        Field::new("email", cat.t("field.email"), FieldKind::Email(email.to_owned())),
        Field::new("password", cat.t("field.password"), FieldKind::Password),
    ];
    fields.extend(draft_field);
    page.push(Block::Form(Form {
        action: "/login".into(),
        method: Method::Post,
        fields,
        submit: cat.t("login.submit").into(),
        multipart: false,
    }));
    page.push(Block::Paragraph(vec![Inline::link("/password/reset", cat.t("login.forgot"))]));
    page.push(Block::Paragraph(vec![Inline::text(cat.t("login.join_hint"))]));
    page.menu = menu(cat, false);
    page
}

/// `GET /login` (`draft=…`: a form was sent after the session expired; its text waits).
pub async fn login_form(req: HttpRequest, visitor: Visitor) -> Result<HttpResponse, WebError> {
    let draft = crate::drafts::key_in(&req).unwrap_or_default();
    show_login(visitor, &draft).await
}

async fn show_login(mut visitor: Visitor, draft: &str) -> Result<HttpResponse, WebError> {
    if visitor.member.is_some() {
        return Ok(visitor.redirect("/home"));
    }
    visitor.ensure_session().await?;
    let bound = uc::easy_login_member(visitor.state(), visitor.subscriber_hash.clone()).await?;
    let mut page = login_page(&visitor, "", None, bound.is_some(), draft);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

/// The login page for `/`, which carries no draft.
pub async fn top_login(visitor: Visitor) -> Result<HttpResponse, WebError> {
    show_login(visitor, "").await
}

/// Logged in: back to the kept draft's form when there is one (it is this member's and still
/// waiting), else the welcome message and the way home.
async fn welcome(visitor: &Visitor, draft: &str) -> Result<HttpResponse, WebError> {
    if let (false, Some(me)) = (draft.is_empty(), visitor.member_id())
        && let Some(target) =
            ashiato_app::drafts::resume(visitor.state(), me, draft.to_owned()).await?
    {
        visitor.flash(visitor.cat().t("draft.restored").into()).await?;
        return Ok(visitor.redirect(&crate::drafts::with_key(&target, draft)));
    }
    let nickname = visitor.member.as_ref().map(|m| m.nickname.clone()).unwrap_or_default();
    visitor.flash(visitor.cat().f("login.welcome", &[("nickname", &nickname)])).await?;
    Ok(visitor.redirect("/home"))
}

/// `POST /login/easy`: logs in the member bound to this handset's trusted subscriber ID. The
/// ID alone authorises nothing else: the session is marked as an easy login, and the form still
/// needs the CSRF token of a page this handset loaded (security.md §2).
pub async fn easy_login(
    Posted { mut visitor, form }: Posted<SjisForm<EasyLoginForm>>,
) -> Result<HttpResponse, WebError> {
    match uc::easy_login_member(visitor.state(), visitor.subscriber_hash.clone()).await? {
        Some(id) => {
            if let Err(AppError::Rejected(p)) = uc::refuse_if_suspended(visitor.state(), id).await {
                let error = Some(problem_message(visitor.cat(), p));
                let page = login_page(&visitor, "", error, false, &form.draft);
                return Ok(visitor.page_with_status(&page, StatusCode::FORBIDDEN));
            }
            visitor.easy_login(id).await?;
            if let Some(m) = &visitor.member {
                uc::lift_login_slowdown(visitor.state(), &m.email);
            }
            welcome(&visitor, &form.draft).await
        }
        None => {
            let page = login_page(
                &visitor,
                "",
                Some(visitor.cat().t("login.easy_unavailable").into()),
                false,
                &form.draft,
            );
            Ok(visitor.page_with_status(&page, StatusCode::FORBIDDEN))
        }
    }
}

/// `POST /login`.
pub async fn login(
    req: HttpRequest,
    post: Submitted<SjisForm<LoginForm>>,
) -> Result<HttpResponse, WebError> {
    let (mut visitor, form) = match post {
        Submitted { visitor, form, fresh: true } => (visitor, form.into_inner()),
        // A stale or missing token (the session expired, or the post is forged): nothing
        // happens, and the form comes back with what was typed, under a fresh token.
        Submitted { mut visitor, form, fresh: false } => {
            visitor.ensure_session().await?;
            let page = login_page(
                &visitor,
                &form.email,
                Some(visitor.cat().t("field.csrf_expired").into()),
                false,
                &form.draft,
            );
            return Ok(visitor.page_with_status(&page, StatusCode::FORBIDDEN));
        }
    };
    let refused = |error: &str, status: StatusCode| {
        let page = login_page(
            &visitor,
            &form.email,
            Some(visitor.cat().t(error).into()),
            false,
            &form.draft,
        );
        visitor.page_with_status(&page, status)
    };
    let source = crate::handset::login_source(&req, &visitor.state().trust);
    match uc::check_login(visitor.state(), &form.email, form.password.clone(), source).await {
        Ok(id) => {
            visitor.login(id).await?;
            welcome(&visitor, &form.draft).await
        }
        Err(AppError::TooMany) => Ok(refused("login.too_many", StatusCode::TOO_MANY_REQUESTS)),
        Err(AppError::Rejected(Problem::BadCredentials)) => {
            Ok(refused("login.failed", StatusCode::OK))
        }
        Err(AppError::Rejected(Problem::AccountSuspended)) => {
            Ok(refused("error.account_suspended", StatusCode::FORBIDDEN))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /logout`: a button, because logging out changes state and state never changes on GET.
pub async fn logout_form(visitor: Visitor) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.redirect("/"));
    }
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("menu.logout"));
    page.push(Block::Form(Form {
        action: "/logout".into(),
        method: Method::Post,
        fields: vec![],
        submit: cat.t("menu.logout").into(),
        multipart: false,
    }));
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `POST /logout`.
pub async fn logout(
    Posted { mut visitor, .. }: Posted<SjisForm<TokenOnly>>,
) -> Result<HttpResponse, WebError> {
    visitor.logout().await?;
    visitor.ensure_session().await?;
    visitor.flash(visitor.cat().t("login.logged_out").into()).await?;
    Ok(visitor.redirect("/login"))
}

/// Fields of the sign-up form.
#[derive(Debug, Default, Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    password: String,
}

fn join_page(
    visitor: &Visitor,
    action: &str,
    invited_by: Option<&str>,
    form: &JoinForm,
    errors: &[Invalid],
    notice: Option<String>,
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("join.title"));
    if let Some(name) = invited_by {
        page.push(Block::Paragraph(vec![Inline::text(
            cat.f("join.invited_by", &[("nickname", name)]),
        )]));
    }
    if let Some(n) = notice {
        page.push(Block::Notice(Notice::Error(n)));
    }
    let mut fields = vec![
        Field::new("email", cat.t("field.email"), FieldKind::Email(form.email.clone())),
        Field::new(
            "nickname",
            cat.t("field.nickname"),
            FieldKind::Text {
                value: form.nickname.clone(),
                max_chars: Some(ashiato_core::account::NICKNAME_MAX),
                mode: InputMode::Hiragana,
            },
        ),
        Field::new(
            "password",
            format!("{} ({})", cat.t("field.password"), cat.t("join.password_hint")),
            FieldKind::Password,
        ),
    ];
    attach_errors(cat, &mut fields, errors);
    page.push(Block::Form(Form {
        action: action.into(),
        method: Method::Post,
        fields,
        submit: cat.t("join.submit").into(),
        multipart: false,
    }));
    page.menu = menu(cat, false);
    page
}

fn invitation_status(problem: Problem) -> StatusCode {
    match problem {
        Problem::InvitationUnknown | Problem::InvitationRequired => StatusCode::NOT_FOUND,
        _ => StatusCode::GONE,
    }
}

fn invitation_error_page(visitor: &Visitor, problem: Problem) -> HttpResponse {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("join.title"));
    page.push(Block::Notice(Notice::Error(problem_message(cat, problem))));
    page.menu = menu(cat, false);
    visitor.page_with_status(&page, invitation_status(problem))
}

/// `GET /join/{token}`.
pub async fn join_form(
    mut visitor: Visitor,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let invitation = match uc::invitation(visitor.state(), token.clone()).await {
        Ok(found) => found,
        Err(AppError::Rejected(problem)) => return Ok(invitation_error_page(&visitor, problem)),
        Err(e) => return Err(e.into()),
    };
    visitor.ensure_session().await?;
    let form = JoinForm { email: invitation.email.unwrap_or_default(), ..JoinForm::default() };
    let action = format!("/join/{token}");
    let page = join_page(&visitor, &action, invitation.inviter.as_deref(), &form, &[], None);
    Ok(visitor.page(&page))
}

/// `POST /join/{token}`.
pub async fn join(
    token: web::Path<String>,
    post: Submitted<SjisForm<JoinForm>>,
) -> Result<HttpResponse, WebError> {
    register(Some(token.into_inner()), post).await
}

/// `GET /join` (only when open sign-up is switched on).
pub async fn join_open_form(mut visitor: Visitor) -> Result<HttpResponse, WebError> {
    if !visitor.state().config.open_signup {
        return Ok(invitation_error_page(&visitor, Problem::InvitationRequired));
    }
    visitor.ensure_session().await?;
    Ok(visitor.page(&join_page(&visitor, "/join", None, &JoinForm::default(), &[], None)))
}

/// `POST /join`.
pub async fn join_open(post: Submitted<SjisForm<JoinForm>>) -> Result<HttpResponse, WebError> {
    register(None, post).await
}

async fn register(
    token: Option<String>,
    post: Submitted<SjisForm<JoinForm>>,
) -> Result<HttpResponse, WebError> {
    let action = token.as_ref().map_or_else(|| "/join".to_owned(), |t| format!("/join/{t}"));
    let (mut visitor, form) = match post {
        Submitted { visitor, form, fresh: true } => (visitor, form.into_inner()),
        Submitted { mut visitor, form, fresh: false } => {
            visitor.ensure_session().await?;
            let notice = Some(visitor.cat().t("field.csrf_expired").to_owned());
            let page = join_page(&visitor, &action, None, &form, &[], notice);
            return Ok(visitor.page_with_status(&page, StatusCode::FORBIDDEN));
        }
    };
    let new_member = match NewMember::validate(&form.email, &form.nickname, &form.password) {
        Ok(m) => m,
        Err(errors) => {
            let page = join_page(&visitor, &action, None, &form, &errors, None);
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let nickname = new_member.nickname.clone();
    match uc::sign_up(visitor.state(), token, new_member, form.password.clone()).await {
        Ok(id) => {
            visitor.login(id).await?;
            let msg = visitor.cat().f("join.done", &[("nickname", &nickname)]);
            visitor.flash(msg).await?;
            Ok(visitor.redirect("/home"))
        }
        Err(AppError::Rejected(Problem::EmailTaken)) => {
            let errors = [Invalid { field: "email", problem: Problem::EmailTaken }];
            let page = join_page(&visitor, &action, None, &form, &errors, None);
            Ok(visitor.page_with_status(&page, StatusCode::CONFLICT))
        }
        Err(AppError::Rejected(problem)) => Ok(invitation_error_page(&visitor, problem)),
        Err(e) => Err(e.into()),
    }
}

/// Fields of the invitation form.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
}

fn invite_page(visitor: &Visitor, email: &str, error: Option<String>) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("invite.title"));
    let mut email_field =
        Field::new("email", cat.t("invite.email_hint"), FieldKind::Email(email.into()));
    email_field.error = error;
    page.push(Block::Form(Form {
        action: "/invite".into(),
        method: Method::Post,
        fields: vec![email_field],
        submit: cat.t("invite.submit").into(),
        multipart: false,
    }));
    page.menu = menu(cat, true);
    page
}

/// `GET /invite`.
pub async fn invite_form(Member { mut visitor, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    Ok(visitor.page(&invite_page(&visitor, "", None)))
}

/// `POST /invite`: creates an invitation and shows its link.
pub async fn invite(
    MemberPosted { member: Member { visitor, id: inviter, .. }, form }: MemberPosted<
        SjisForm<InviteForm>,
    >,
) -> Result<HttpResponse, WebError> {
    let email = match form.email.trim() {
        "" => None,
        typed => match Email::parse(typed) {
            Ok(e) => Some(e),
            Err(p) => {
                let page =
                    invite_page(&visitor, &form.email, Some(problem_message(visitor.cat(), p)));
                return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
            }
        },
    };
    let (issued, mailed) = uc::invite(visitor.state(), Some(inviter), email.clone()).await?;
    let days = visitor.state().config.invitation_days;
    let cat = visitor.cat();
    let link = format!("{}/join/{}", visitor.state().config.base_url(), issued.token);
    let mut page = Page::new(cat.t("invite.title"));
    if let (true, Some(to)) = (mailed, &email) {
        page.push(Block::Notice(Notice::Info(cat.f("invite.mailed", &[("address", to.as_str())]))));
    }
    page.push(Block::Notice(Notice::Info(cat.f("invite.created", &[("days", &days.to_string())]))));
    page.push(Block::Paragraph(vec![Inline::Strong(link)]));
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}
