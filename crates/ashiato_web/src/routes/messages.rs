//! Messages between members: inbox, sent, reading, writing, replying, deleting.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use ashiato_core::content::MessageDraft;
use ashiato_core::{Invalid, MessageId, Relation};
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Link, Notice, Page};
use ashiato_store::messages;
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{SjisForm, SjisQuery};
use crate::routes::profile::{TokenOnly, visible_member};
use crate::routes::text::member_text;
use crate::routes::{
    PAGE_SIZE, Paging, attach_errors, member_link, menu, pager, post_form, short_time,
};
use crate::state::now;
use crate::visitor::Visitor;

fn subject_text(cat: &ashiato_render::i18n::Catalog, subject: &str) -> String {
    if subject.is_empty() { cat.t("messages.no_subject").to_owned() } else { subject.to_owned() }
}

async fn list_page(
    visitor: Visitor,
    paging: &Paging,
    sent: bool,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    let offset = paging.offset();
    let list = visitor
        .state()
        .run(move |c| {
            if sent {
                messages::sent(c, me, PAGE_SIZE + 1, offset)
            } else {
                messages::inbox(c, me, PAGE_SIZE + 1, offset)
            }
        })
        .await?;
    let cat = visitor.cat();
    let mut page =
        Page::new(cat.t(if sent { "messages.sent_title" } else { "messages.inbox_title" }));
    page.flash = visitor.take_flash().await?;
    page.push(Block::Paragraph(vec![
        Inline::Link(Link {
            accesskey: Some('*'),
            ..Link::internal("/messages/new", cat.t("messages.write"))
        }),
        Inline::text(" | "),
        if sent {
            Inline::link("/messages", cat.t("messages.inbox_title"))
        } else {
            Inline::link("/messages/sent", cat.t("messages.sent_title"))
        },
    ]));
    let has_more = list.len() > usize::try_from(PAGE_SIZE).unwrap_or(20);
    if list.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("messages.none"))]));
    } else {
        page.push(Block::List(
            list.iter()
                .take(usize::try_from(PAGE_SIZE).unwrap_or(20))
                .map(|m| {
                    let other = if sent { &m.to } else { &m.from };
                    let mut row = Vec::new();
                    if !sent && m.read_at.is_none() {
                        row.push(Inline::Strong(cat.t("messages.unread_mark").into()));
                    }
                    row.push(Inline::link(
                        format!("/messages/{}", m.id),
                        subject_text(cat, &m.subject),
                    ));
                    row.push(Inline::text(format!(" {} ", short_time(m.created_at))));
                    row.push(member_link(other));
                    row
                })
                .collect(),
        ));
    }
    if let Some(p) =
        pager(cat, if sent { "/messages/sent" } else { "/messages" }, paging.number(), has_more)
    {
        page.push(p);
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `GET /messages`: the inbox.
pub async fn inbox(visitor: Visitor, paging: SjisQuery<Paging>) -> Result<HttpResponse, WebError> {
    list_page(visitor, &paging, false).await
}

/// `GET /messages/sent`.
pub async fn sent(visitor: Visitor, paging: SjisQuery<Paging>) -> Result<HttpResponse, WebError> {
    list_page(visitor, &paging, true).await
}

/// `GET /messages/{id}`: one message (marks it read for the recipient).
pub async fn show(mut visitor: Visitor, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.ensure_session().await?;
    let message_id = MessageId(*id);
    let m = visitor.state().run(move |c| messages::open(c, message_id, me, now())).await?;
    let cat = visitor.cat();
    let mut page = Page::new(subject_text(cat, &m.subject));
    page.push(Block::Paragraph(vec![
        Inline::text(format!("{}: ", cat.t("messages.from"))),
        member_link(&m.from),
        Inline::Break,
        Inline::text(format!("{}: ", cat.t("messages.to"))),
        member_link(&m.to),
        Inline::Break,
        Inline::text(short_time(m.created_at)),
    ]));
    page.push(member_text(&visitor, &m.body));
    if m.to.id == me {
        page.push(Block::Paragraph(vec![Inline::Link(Link {
            accesskey: Some('*'),
            ..Link::internal(
                format!("/messages/new?to={}&reply={}", m.from.id, m.id),
                cat.t("messages.reply"),
            )
        })]));
    }
    page.push(post_form(format!("/messages/{}/delete", m.id), vec![], cat.t("messages.delete")));
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `POST /messages/{id}/delete`: removes it from my side only.
pub async fn delete(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let message_id = MessageId(*id);
    match visitor.state().run(move |c| messages::delete_for(c, message_id, me)).await {
        Ok(()) => visitor.flash(visitor.cat().t("messages.deleted").into()).await?,
        Err(WebError::NotFound) => {}
        Err(e) => return Err(e),
    }
    Ok(visitor.redirect("/messages"))
}

/// `?to=` and `?reply=` on the compose page.
#[derive(Debug, Default, Deserialize)]
pub struct ComposeQuery {
    to: Option<i64>,
    reply: Option<i64>,
}

/// Fields of the compose form.
#[derive(Debug, Default, Deserialize)]
pub struct ComposeForm {
    #[serde(default)]
    to: Option<i64>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    reply: Option<i64>,
    csrf: Option<String>,
}

fn compose_page(visitor: &Visitor, to_name: &str, form: &ComposeForm, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("messages.write_to", &[("nickname", to_name)]));
    if !errors.is_empty() {
        page.push(Block::Notice(Notice::Error(cat.t("form.fix_errors").into())));
    }
    let mut fields = vec![
        Field::hidden("to", form.to.map(|t| t.to_string()).unwrap_or_default()),
        Field::new(
            "subject",
            cat.t("messages.subject"),
            FieldKind::Text {
                value: form.subject.clone(),
                max_chars: Some(ashiato_core::content::MESSAGE_SUBJECT_MAX),
                mode: InputMode::Hiragana,
            },
        ),
        Field::new(
            "body",
            cat.t("messages.body"),
            FieldKind::TextArea { value: form.body.clone(), rows: 6 },
        ),
    ];
    if let Some(r) = form.reply {
        fields.push(Field::hidden("reply", r.to_string()));
    }
    attach_errors(cat, &mut fields, errors);
    page.push(post_form("/messages/new", fields, cat.t("messages.send")));
    page.menu = menu(cat, true);
    page
}

/// `GET /messages/new?to={member}[&reply={message}]`.
pub async fn compose(
    mut visitor: Visitor,
    query: SjisQuery<ComposeQuery>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    let Some(to) = query.to else {
        // No recipient chosen: pick from the friend list.
        return Ok(visitor.redirect("/friends"));
    };
    let (member, rel) = visible_member(&visitor, to).await?;
    if rel == Relation::Owner {
        return Err(WebError::NotFound);
    }
    visitor.ensure_session().await?;
    let mut form = ComposeForm { to: Some(to), reply: query.reply, ..ComposeForm::default() };
    if let Some(r) = query.reply
        && let Ok(original) =
            visitor.state().run(move |c| messages::open(c, MessageId(r), me, now())).await
    {
        form.subject = format!("Re: {}", original.subject)
            .chars()
            .take(ashiato_core::content::MESSAGE_SUBJECT_MAX)
            .collect();
    }
    Ok(visitor.page(&compose_page(&visitor, &member.nickname, &form, &[])))
}

/// `POST /messages/new`. A blocked member's message is refused like a missing recipient.
pub async fn send(visitor: Visitor, form: SjisForm<ComposeForm>) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let to = form.to.ok_or(WebError::NotFound)?;
    let (member, rel) = visible_member(&visitor, to).await?;
    if rel == Relation::Owner {
        return Err(WebError::NotFound);
    }
    let draft = match MessageDraft::validate(&form.subject, &form.body) {
        Ok(d) => d,
        Err(errors) => {
            let page = compose_page(&visitor, &member.nickname, &form, &errors);
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let (recipient, reply_to) = (member.id, form.reply.map(MessageId));
    let config = visitor.state().config.clone();
    let actor = visitor.member.as_ref().map(|m| m.nickname.clone()).unwrap_or_default();
    visitor
        .state()
        .run(move |c| {
            ashiato_store::write(c, |c| {
                // A reply may only point at a message of this conversation's sender; any other
                // id from the form is dropped rather than linked.
                let reply_to = match reply_to {
                    Some(r) if messages::is_party(c, r, me)? => Some(r),
                    _ => None,
                };
                // A second tap on a slow link sends nothing new.
                let t = now();
                let since = t.plus_millis(-ashiato_core::content::DOUBLE_SUBMIT_MS);
                let (subject, body) = (&draft.subject, &draft.body);
                if let Some(first) =
                    messages::same_message_since(c, me, recipient, subject, body, since)?
                {
                    return Ok(first);
                }
                crate::mail::send_message(
                    c,
                    &config,
                    (me, &actor),
                    recipient,
                    &draft.subject,
                    &draft.body,
                    reply_to,
                    t,
                )
            })
        })
        .await?;
    visitor.flash(visitor.cat().t("messages.sent").into()).await?;
    Ok(visitor.redirect("/messages/sent"))
}
