//! Logging in and out, joining by invitation, inviting friends.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use ashiato_core::account::{Email, NewMember};
use ashiato_core::{Invalid, Problem, password};
use ashiato_render::page::{
    Block, Field, FieldKind, Form, Inline, InputMode, Method, Notice, Page,
};
use ashiato_store::accounts::{self, SignUp};
use ashiato_store::db::random_bytes;
use serde::Deserialize;

use crate::error::WebError;
use crate::form::SjisForm;
use crate::limits::{LOGIN_FAILURES, LOGIN_WINDOW_MS};
use crate::routes::{attach_errors, menu, problem_message};
use crate::state::now;
use crate::visitor::Visitor;

/// Fields of the login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    csrf: Option<String>,
}

fn login_page(visitor: &Visitor, email: &str, error: Option<String>, easy: bool) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("login.title"));
    if let Some(e) = error {
        page.push(Block::Notice(Notice::Error(e)));
    }
    if easy {
        // This handset's trusted subscriber ID is bound to a member: one button logs in.
        page.push(Block::Form(Form {
            action: "/login/easy".into(),
            method: Method::Post,
            fields: vec![],
            submit: cat.t("login.easy").into(),
            multipart: false,
        }));
    }
    page.push(Block::Form(Form {
        action: "/login".into(),
        method: Method::Post,
        fields: vec![
            Field::new("email", cat.t("field.email"), FieldKind::Email(email.to_owned())),
            Field::new("password", cat.t("field.password"), FieldKind::Password),
        ],
        submit: cat.t("login.submit").into(),
        multipart: false,
    }));
    page.push(Block::Paragraph(vec![Inline::text(cat.t("login.join_hint"))]));
    page.menu = menu(cat, false);
    page
}

/// `GET /login`.
pub async fn login_form(mut visitor: Visitor) -> Result<HttpResponse, WebError> {
    if visitor.member.is_some() {
        return Ok(visitor.redirect("/home"));
    }
    visitor.ensure_session().await?;
    let easy = bound_member(&visitor).await?.is_some();
    let mut page = login_page(&visitor, "", None, easy);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

/// The member this handset's trusted subscriber ID is bound to, if any.
async fn bound_member(visitor: &Visitor) -> Result<Option<ashiato_core::MemberId>, WebError> {
    match visitor.subscriber_hash.clone() {
        Some(hash) => {
            visitor.state().run(move |c| ashiato_store::bindings::member_for(c, &hash)).await
        }
        None => Ok(None),
    }
}

/// `POST /login/easy`: logs in the member bound to this handset's trusted subscriber ID. The
/// ID alone authorises nothing else: the session is marked as an easy login, and the form still
/// needs the CSRF token of a page this handset loaded (security.md §2).
pub async fn easy_login(
    mut visitor: Visitor,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(form.csrf.as_deref())?;
    match bound_member(&visitor).await? {
        Some(id) => {
            visitor.easy_login(id).await?;
            let nickname = visitor.member.as_ref().map(|m| m.nickname.clone()).unwrap_or_default();
            visitor.flash(visitor.cat().f("login.welcome", &[("nickname", &nickname)])).await?;
            Ok(visitor.redirect("/home"))
        }
        None => {
            let page = login_page(
                &visitor,
                "",
                Some(visitor.cat().t("login.easy_unavailable").into()),
                false,
            );
            Ok(visitor.page_with_status(&page, StatusCode::FORBIDDEN))
        }
    }
}

/// Checks e-mail and password on the blocking pool. Unknown addresses are checked against a
/// dummy hash so that the answer takes as long as for a real account.
async fn verify_credentials(
    visitor: &Visitor,
    email: &str,
    password: String,
) -> Result<Option<ashiato_core::MemberId>, WebError> {
    let email = Email::parse(email).ok();
    visitor
        .state()
        .run(move |c| {
            let found = match &email {
                Some(e) => accounts::credentials(c, e)?,
                None => None,
            };
            Ok(match found {
                Some((id, hash)) => password::verify(&password, &hash).then_some(id),
                None => {
                    let _ = password::verify(&password, password::DUMMY_HASH);
                    None
                }
            })
        })
        .await
}

/// `POST /login`.
pub async fn login(
    mut visitor: Visitor,
    form: SjisForm<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    if visitor.check_csrf(form.csrf.as_deref()).is_err() {
        // The reader's session expired (or the post is forged): nothing happens, and the form
        // comes back with what they typed, under a fresh token.
        visitor.ensure_session().await?;
        let page = login_page(
            &visitor,
            &form.email,
            Some(visitor.cat().t("field.csrf_expired").into()),
            false,
        );
        return Ok(visitor.page_with_status(&page, StatusCode::FORBIDDEN));
    }
    // Limit guesses per account whether or not it exists: the pause reveals nothing.
    let key = Email::parse(&form.email)
        .map_or_else(|_| form.email.trim().to_lowercase(), |e| e.as_str().to_owned());
    let limiter = visitor.state().login_failures.clone();
    if limiter.is_limited(&key, LOGIN_FAILURES, LOGIN_WINDOW_MS, now()) {
        let page = login_page(
            &visitor,
            &form.email,
            Some(visitor.cat().t("login.too_many").into()),
            false,
        );
        return Ok(visitor.page_with_status(&page, StatusCode::TOO_MANY_REQUESTS));
    }
    match verify_credentials(&visitor, &form.email, form.password).await? {
        Some(id) => {
            limiter.clear(&key);
            visitor.login(id).await?;
            let nickname = visitor.member.as_ref().map(|m| m.nickname.clone()).unwrap_or_default();
            visitor.flash(visitor.cat().f("login.welcome", &[("nickname", &nickname)])).await?;
            Ok(visitor.redirect("/home"))
        }
        None => {
            limiter.note(&key, LOGIN_WINDOW_MS, now());
            let page = login_page(
                &visitor,
                &form.email,
                Some(visitor.cat().t("login.failed").into()),
                false,
            );
            Ok(visitor.page(&page))
        }
    }
}

/// Fields of a form that only carries the CSRF token.
#[derive(Debug, Deserialize)]
pub struct TokenOnly {
    csrf: Option<String>,
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
    mut visitor: Visitor,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(form.csrf.as_deref())?;
    visitor.logout().await?;
    visitor.ensure_session().await?;
    visitor.flash(visitor.cat().t("login.logged_out").into()).await?;
    Ok(visitor.redirect("/login"))
}

/// Fields of the sign-up form.
#[derive(Debug, Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    password: String,
    csrf: Option<String>,
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

/// Who sent the invitation, or why it cannot be used.
async fn check_invitation(
    visitor: &Visitor,
    token: String,
) -> Result<Result<(Option<String>, Option<String>), Problem>, WebError> {
    let result = visitor
        .state()
        .run(move |c| {
            let inv = accounts::find_invitation(c, &token)?;
            ashiato_core::account::check_invitation(now(), inv.expires_at, inv.used)?;
            let inviter = match inv.inviter {
                Some(id) => Some(accounts::find_member(c, id)?.nickname),
                None => None,
            };
            Ok((inviter, inv.email))
        })
        .await;
    match result {
        Ok(found) => Ok(Ok(found)),
        Err(WebError::Rejected(p)) => Ok(Err(p)),
        Err(e) => Err(e),
    }
}

/// `GET /join/{token}`.
pub async fn join_form(
    mut visitor: Visitor,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let token = token.into_inner();
    let (inviter, email) = match check_invitation(&visitor, token.clone()).await? {
        Ok(found) => found,
        Err(problem) => return Ok(invitation_error_page(&visitor, problem)),
    };
    visitor.ensure_session().await?;
    let form = JoinForm {
        email: email.unwrap_or_default(),
        nickname: String::new(),
        password: String::new(),
        csrf: None,
    };
    let page = join_page(&visitor, &format!("/join/{token}"), inviter.as_deref(), &form, &[], None);
    Ok(visitor.page(&page))
}

/// `POST /join/{token}`.
pub async fn join(
    visitor: Visitor,
    token: web::Path<String>,
    form: SjisForm<JoinForm>,
) -> Result<HttpResponse, WebError> {
    register(visitor, Some(token.into_inner()), form.into_inner()).await
}

/// `GET /join` (only when open sign-up is switched on).
pub async fn join_open_form(mut visitor: Visitor) -> Result<HttpResponse, WebError> {
    if !visitor.state().config.open_signup {
        return Ok(invitation_error_page(&visitor, Problem::InvitationRequired));
    }
    visitor.ensure_session().await?;
    let form = JoinForm {
        email: String::new(),
        nickname: String::new(),
        password: String::new(),
        csrf: None,
    };
    Ok(visitor.page(&join_page(&visitor, "/join", None, &form, &[], None)))
}

/// `POST /join`.
pub async fn join_open(
    visitor: Visitor,
    form: SjisForm<JoinForm>,
) -> Result<HttpResponse, WebError> {
    register(visitor, None, form.into_inner()).await
}

async fn register(
    mut visitor: Visitor,
    token: Option<String>,
    form: JoinForm,
) -> Result<HttpResponse, WebError> {
    let action = token.as_ref().map_or_else(|| "/join".to_owned(), |t| format!("/join/{t}"));
    if visitor.check_csrf(form.csrf.as_deref()).is_err() {
        visitor.ensure_session().await?;
        let notice = Some(visitor.cat().t("field.csrf_expired").to_owned());
        let page = join_page(&visitor, &action, None, &form, &[], notice);
        return Ok(visitor.page_with_status(&page, StatusCode::FORBIDDEN));
    }
    let new_member = match NewMember::validate(&form.email, &form.nickname, &form.password) {
        Ok(m) => m,
        Err(errors) => {
            let page = join_page(&visitor, &action, None, &form, &errors, None);
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let salt: [u8; password::SALT_LEN] = random_bytes()?;
    let plain = form.password.clone();
    let hash = web::block(move || password::hash(&plain, &salt))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let open_signup = visitor.state().config.open_signup;
    let member_for_store = new_member.clone();
    let token_for_store = token.clone();
    let result = visitor
        .state()
        .run(move |c| {
            let s = SignUp {
                invitation: token_for_store.as_deref(),
                member: &member_for_store,
                password_hash: &hash,
                open_signup,
            };
            accounts::sign_up(c, &s, now())
        })
        .await;
    match result {
        Ok(id) => {
            visitor.login(id).await?;
            let msg = visitor.cat().f("join.done", &[("nickname", &new_member.nickname)]);
            visitor.flash(msg).await?;
            Ok(visitor.redirect("/home"))
        }
        Err(WebError::Rejected(Problem::EmailTaken)) => {
            let errors = [Invalid { field: "email", problem: Problem::EmailTaken }];
            let page = join_page(&visitor, &action, None, &form, &errors, None);
            Ok(visitor.page_with_status(&page, StatusCode::CONFLICT))
        }
        Err(WebError::Rejected(problem)) => Ok(invitation_error_page(&visitor, problem)),
        Err(e) => Err(e),
    }
}

/// Fields of the invitation form.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    csrf: Option<String>,
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
pub async fn invite_form(mut visitor: Visitor) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.redirect("/login"));
    }
    visitor.ensure_session().await?;
    Ok(visitor.page(&invite_page(&visitor, "", None)))
}

/// `POST /invite`: creates an invitation and shows its link.
pub async fn invite(
    visitor: Visitor,
    form: SjisForm<InviteForm>,
) -> Result<HttpResponse, WebError> {
    let Some(inviter) = visitor.member_id() else { return Ok(visitor.redirect("/login")) };
    visitor.check_csrf(form.csrf.as_deref())?;
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
    let days = visitor.state().config.invitation_days;
    let issued = visitor
        .state()
        .run(move |c| accounts::create_invitation(c, Some(inviter), email.as_ref(), now(), days))
        .await?;
    let cat = visitor.cat();
    let link = format!("{}/join/{}", visitor.state().config.base_url(), issued.token);
    let mut page = Page::new(cat.t("invite.title"));
    page.push(Block::Notice(Notice::Info(cat.f("invite.created", &[("days", &days.to_string())]))));
    page.push(Block::Paragraph(vec![Inline::Strong(link)]));
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}
