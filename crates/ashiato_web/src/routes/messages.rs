//! Messages between members: inbox, sent, reading, writing, replying, deleting.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use ashiato_app::AppError;
use ashiato_app::messages as uc;
use ashiato_core::content::MessageDraft;
use ashiato_core::{Invalid, MemberId, MessageId};
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Link, Notice, Page};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{MemberPosted, SjisForm, SjisQuery};
use crate::routes::profile::TokenOnly;
use crate::routes::text::member_text;
use crate::routes::{
    PAGE_SIZE, Paging, attach_errors, member_link, menu, pager, post_form, short_time,
};
use crate::visitor::{Member, Visitor};

fn subject_text(cat: &ashiato_render::i18n::Catalog, subject: &str) -> String {
    if subject.is_empty() { cat.t("messages.no_subject").to_owned() } else { subject.to_owned() }
}

async fn list_page(
    Member { visitor, id: me, .. }: Member,
    paging: &Paging,
    sent: bool,
) -> Result<HttpResponse, WebError> {
    let (app, offset) = (visitor.state(), paging.offset());
    let list = if sent {
        uc::sent(app, me, PAGE_SIZE + 1, offset).await?
    } else {
        uc::inbox(app, me, PAGE_SIZE + 1, offset).await?
    };
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
pub async fn inbox(member: Member, paging: SjisQuery<Paging>) -> Result<HttpResponse, WebError> {
    list_page(member, &paging, false).await
}

/// `GET /messages/sent`.
pub async fn sent(member: Member, paging: SjisQuery<Paging>) -> Result<HttpResponse, WebError> {
    list_page(member, &paging, true).await
}

/// `GET /messages/{id}`: one message (marks it read for the recipient).
pub async fn show(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let m = uc::read(visitor.state(), me, MessageId(*id)).await?;
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
        page.push(Block::Paragraph(vec![Inline::link(
            format!("/messages/{}/report", m.id),
            cat.t("report.link"),
        )]));
    }
    page.push(post_form(format!("/messages/{}/delete", m.id), vec![], cat.t("messages.delete")));
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `POST /messages/{id}/delete`: removes it from my side only.
pub async fn delete(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    match uc::delete(visitor.state(), me, MessageId(*id)).await {
        Ok(()) => visitor.flash(visitor.cat().t("messages.deleted").into()).await?,
        Err(AppError::NotFound) => {}
        Err(e) => return Err(e.into()),
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
}

fn compose_page(
    visitor: &Visitor,
    me: MemberId,
    to_name: &str,
    form: &ComposeForm,
    errors: &[Invalid],
) -> Page {
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
    let action = crate::drafts::action(visitor, me, "/messages/new");
    page.push(post_form(action, fields, cat.t("messages.send")));
    page.menu = menu(cat, true);
    page
}

/// `GET /messages/new?to={member}[&reply={message}]`.
pub async fn compose(
    req: HttpRequest,
    Member { mut visitor, id: me, .. }: Member,
    query: SjisQuery<ComposeQuery>,
) -> Result<HttpResponse, WebError> {
    let Some(to) = query.to else {
        // No recipient chosen: pick from the friend list.
        return Ok(visitor.redirect("/friends"));
    };
    let reply = query.reply.map(MessageId);
    let uc::Compose { recipient, reply_subject } =
        uc::compose(visitor.state(), me, MemberId(to), reply).await?;
    visitor.ensure_session().await?;
    let mut form = ComposeForm {
        to: Some(to),
        reply: query.reply,
        subject: reply_subject.unwrap_or_default(),
        ..ComposeForm::default()
    };
    // Back after a login that the expired session asked for: what was typed comes back.
    if let Some(kept) = crate::drafts::restore(&req, &visitor, me).await? {
        form.subject = crate::drafts::field(&kept, "subject");
        form.body = crate::drafts::field(&kept, "body");
        form.reply = crate::drafts::field(&kept, "reply").parse().ok().or(form.reply);
    }
    let mut page = compose_page(&visitor, me, &recipient.nickname, &form, &[]);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

/// `POST /messages/new`. A blocked member's message is refused like a missing recipient.
pub async fn send(
    MemberPosted { member: Member { visitor, id: me, nickname }, form }: MemberPosted<
        SjisForm<ComposeForm>,
    >,
) -> Result<HttpResponse, WebError> {
    let to = form.to.ok_or(WebError::NotFound)?;
    let recipient = uc::recipient(visitor.state(), me, MemberId(to)).await?;
    let draft = match MessageDraft::validate(&form.subject, &form.body) {
        Ok(d) => d,
        Err(errors) => {
            let page = compose_page(&visitor, me, &recipient.nickname, &form, &errors);
            return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let reply_to = form.reply.map(MessageId);
    uc::send(visitor.state(), me, nickname, recipient.id, draft, reply_to).await?;
    visitor.flash(visitor.cat().t("messages.sent").into()).await?;
    Ok(visitor.redirect("/messages/sent"))
}
