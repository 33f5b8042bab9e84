//! `/settings/mail`: the member's secret posting addresses (shown only to them, with
//! `mailto:` links, rotatable at once), the registered phone address and the notification
//! opt-ins. After an easy login the page asks for the password first (security.md S-08): a
//! handset that is merely carried away must not reveal or change who can post as its owner.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use ashiato_app::AppError;
use ashiato_app::accounts::{self as uc, PHONE_MAX};
use ashiato_core::{Invalid, Problem};
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Link, Notice, Page};
use ashiato_store::mail::{Notify, NotifyKind};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{MemberPosted, SjisForm};
use crate::routes::settings::current_password_ok;
use crate::routes::{attach_errors, menu, post_form};
use crate::visitor::{Member, Visitor};

fn easy_session(visitor: &Visitor) -> bool {
    visitor.session.as_ref().is_some_and(|s| s.easy_login)
}

fn notify_key(kind: NotifyKind) -> &'static str {
    match kind {
        NotifyKind::FriendRequest => "mail.notify_friend_request",
        NotifyKind::FriendAccepted => "mail.notify_friend_accepted",
        NotifyKind::Message => "mail.notify_message",
        NotifyKind::Comment => "mail.notify_comment",
        NotifyKind::Topic => "mail.notify_topic",
    }
}

fn password_page(visitor: &Visitor, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("mail.title"));
    page.push(Block::Paragraph(vec![Inline::text(cat.t("mail.password_needed"))]));
    let mut fields = vec![
        Field::hidden("action", "confirm"),
        Field::new("password", cat.t("field.password"), FieldKind::Password),
    ];
    attach_errors(cat, &mut fields, errors);
    page.push(post_form("/settings/mail", fields, cat.t("mail.confirm")));
    page.menu = menu(cat, true);
    page
}

/// `GET /settings/mail`.
pub async fn show(Member { mut visitor, id: me, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if easy_session(&visitor) {
        return Ok(visitor.page(&password_page(&visitor, &[])));
    }
    let (settings, token) = uc::mail_settings(visitor.state(), me).await?;
    let phone = settings.phone_address.clone().unwrap_or_default();
    let mut page = settings_page(&visitor, token.as_ref(), &phone, settings.notify, &[]);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

fn settings_page(
    visitor: &Visitor,
    token: Option<&ashiato_mail::Token>,
    phone: &str,
    notify: Notify,
    errors: &[Invalid],
) -> Page {
    let cat = visitor.cat();
    let config = &visitor.state().config;
    let mut page = Page::new(cat.t("mail.title"));
    if !errors.is_empty() {
        page.push(Block::Notice(Notice::Error(cat.t("form.fix_errors").into())));
    }
    match token {
        Some(token) => {
            let a = ashiato_app::mail::addresses(config, token);
            page.push(Block::Notice(Notice::Info(cat.t("mail.secret").into())));
            for (text, address) in
                [(cat.t("mail.diary"), &a.diary), (cat.t("mail.photo"), &a.profile_photo)]
            {
                page.push(Block::Paragraph(vec![
                    Inline::Link(Link::mailto(address.clone(), text)),
                    Inline::Break,
                    Inline::text(address.clone()),
                ]));
            }
            let cfg = config.mail_addresses();
            page.push(Block::Paragraph(vec![Inline::text(cat.f(
                "mail.comment_hint",
                &[("token", &token.to_string()), ("domain", &cfg.domain)],
            ))]));
            match config.mail_policy() {
                ashiato_mail::SenderPolicy::RegisteredAddress => {
                    page.push(Block::Paragraph(vec![Inline::text(
                        cat.t("mail.policy_registered"),
                    )]));
                }
                ashiato_mail::SenderPolicy::CarrierDomain => {
                    page.push(Block::Paragraph(vec![Inline::text(cat.t("mail.policy_carrier"))]));
                }
                ashiato_mail::SenderPolicy::AnyFrom => {}
            }
            page.push(post_form(
                "/settings/mail",
                vec![Field::hidden("action", "rotate")],
                cat.t("mail.rotate"),
            ));
        }
        None if !config.mail_enabled() => {
            page.push(Block::Paragraph(vec![Inline::text(cat.t("mail.off"))]));
        }
        None => {}
    }
    page.push(Block::Separator);
    let mut fields = vec![
        Field::hidden("action", "save"),
        Field::new(
            "phone",
            cat.t("mail.phone"),
            FieldKind::Text {
                value: phone.into(),
                max_chars: Some(PHONE_MAX),
                mode: InputMode::Alphabet,
            },
        ),
    ];
    page.push(Block::Heading(cat.t("mail.notify").into()));
    for kind in NotifyKind::ALL {
        fields.push(Field::new(
            kind.as_str(),
            cat.t(notify_key(kind)),
            FieldKind::Checkbox(notify.wants(kind)),
        ));
    }
    attach_errors(cat, &mut fields, errors);
    page.push(post_form("/settings/mail", fields, cat.t("settings.save")));
    page.menu = menu(cat, true);
    page
}

/// Fields of the mail settings forms.
#[derive(Debug, Default, Deserialize)]
pub struct MailForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    friend_request: Option<String>,
    #[serde(default)]
    friend_accepted: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    topic: Option<String>,
}

/// `POST /settings/mail`: `confirm` (password after an easy login: the session becomes a
/// password session), `rotate` (new token, old addresses dead) or `save` (phone address and
/// opt-ins).
pub async fn change(
    MemberPosted { member: Member { mut visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<MailForm>,
    >,
) -> Result<HttpResponse, WebError> {
    let cat = visitor.cat();
    if form.action == "confirm" {
        if !current_password_ok(&visitor, form.password.clone()).await? {
            let errors = [Invalid { field: "password", problem: Problem::BadCredentials }];
            return Ok(visitor.page_with_status(
                &password_page(&visitor, &errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        // A fresh password session replaces the easy-login one (new token, no fixation).
        visitor.session = None;
        visitor.login(me).await?;
        return Ok(visitor.redirect("/settings/mail"));
    }
    if easy_session(&visitor) {
        return Err(WebError::Forbidden("mail settings need a password session".into()));
    }
    match form.action.as_str() {
        "rotate" => {
            uc::rotate_mail_token(visitor.state(), me).await?;
            visitor.flash(cat.t("mail.rotated").into()).await?;
        }
        "save" => {
            let mut notify = Notify::default();
            for (kind, on) in [
                (NotifyKind::FriendRequest, &form.friend_request),
                (NotifyKind::FriendAccepted, &form.friend_accepted),
                (NotifyKind::Message, &form.message),
                (NotifyKind::Comment, &form.comment),
                (NotifyKind::Topic, &form.topic),
            ] {
                notify.set(kind, on.is_some());
            }
            match uc::save_mail_settings(visitor.state(), me, &form.phone, notify).await {
                Ok(()) => visitor.flash(cat.t("mail.saved").into()).await?,
                Err(AppError::Rejected(problem)) => {
                    let errors = [Invalid { field: "phone", problem }];
                    let phone = form.phone.trim();
                    return Ok(visitor.page_with_status(
                        &settings_page(&visitor, None, phone, notify, &errors),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        _ => return Err(WebError::BadRequest("unknown action".into())),
    }
    Ok(visitor.redirect("/settings/mail"))
}
