//! Communities: list, create, join/leave, members, admin transfer, topics and comments.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use ashiato_core::content::{CommunityDraft, TopicDraft, validate_comment};
use ashiato_core::{CommunityId, Invalid, MemberId, TopicId};
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Link, Notice, Page};
use ashiato_store::communities::{
    self, Community, JoinPolicy, Membership, NewCommunity, TopicVisibility,
};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{SjisForm, SjisQuery};
use crate::routes::profile::TokenOnly;
use crate::routes::text::member_text;
use crate::routes::{
    PAGE_SIZE, Paging, attach_errors, member_link, menu, pager, post_form, problem_message,
    short_time,
};
use crate::state::now;
use crate::visitor::Visitor;

fn take(n: i64) -> usize {
    usize::try_from(n).unwrap_or(20)
}

/// `GET /communities`: every community, and mine.
pub async fn list(visitor: Visitor, paging: SjisQuery<Paging>) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    let offset = paging.offset();
    let (all, mine) = visitor
        .state()
        .run(move |c| {
            Ok((communities::list(c, PAGE_SIZE + 1, offset)?, communities::joined_by(c, me)?))
        })
        .await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("communities.title"));
    page.flash = visitor.take_flash().await?;
    page.push(Block::Paragraph(vec![Inline::Link(Link {
        accesskey: Some('*'),
        ..Link::internal("/communities/new", cat.t("communities.create"))
    })]));
    if !mine.is_empty() {
        page.push(Block::Heading(cat.t("communities.mine").into()));
        page.push(Block::List(
            mine.iter()
                .map(|c| vec![Inline::link(format!("/c/{}", c.id), c.name.clone())])
                .collect(),
        ));
    }
    page.push(Block::Heading(cat.t("communities.all").into()));
    let has_more = all.len() > take(PAGE_SIZE);
    page.push(Block::List(
        all.iter()
            .take(take(PAGE_SIZE))
            .map(|c| {
                vec![
                    Inline::link(format!("/c/{}", c.id), c.name.clone()),
                    Inline::text(format!(" ({})", c.member_count)),
                ]
            })
            .collect(),
    ));
    if let Some(p) = pager(cat, "/communities", paging.number(), has_more) {
        page.push(p);
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// Fields of the new-community form.
#[derive(Debug, Default, Deserialize)]
pub struct CommunityForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    join: String,
    #[serde(default)]
    topics: String,
    csrf: Option<String>,
}

fn community_form_page(visitor: &Visitor, form: &CommunityForm, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("communities.create"));
    if !errors.is_empty() {
        page.push(Block::Notice(Notice::Error(cat.t("form.fix_errors").into())));
    }
    let mut fields = vec![
        Field::new(
            "name",
            cat.t("communities.name"),
            FieldKind::Text {
                value: form.name.clone(),
                max_chars: Some(ashiato_core::content::COMMUNITY_NAME_MAX),
                mode: InputMode::Hiragana,
            },
        ),
        Field::new(
            "description",
            cat.t("communities.description"),
            FieldKind::TextArea { value: form.description.clone(), rows: 5 },
        ),
        Field::new(
            "category",
            cat.t("communities.category"),
            FieldKind::Text {
                value: form.category.clone(),
                max_chars: Some(ashiato_core::content::COMMUNITY_CATEGORY_MAX),
                mode: InputMode::Hiragana,
            },
        ),
        Field::new(
            "join",
            cat.t("communities.join_policy"),
            FieldKind::Select {
                options: vec![
                    ("open".into(), cat.t("communities.open").into()),
                    ("approval".into(), cat.t("communities.approval").into()),
                ],
                selected: if form.join.is_empty() { "open".into() } else { form.join.clone() },
            },
        ),
        Field::new(
            "topics",
            cat.t("communities.topic_visibility"),
            FieldKind::Select {
                options: vec![
                    ("members".into(), cat.t("communities.readable_members").into()),
                    ("participants".into(), cat.t("communities.readable_participants").into()),
                ],
                selected: if form.topics.is_empty() {
                    "members".into()
                } else {
                    form.topics.clone()
                },
            },
        ),
    ];
    attach_errors(cat, &mut fields, errors);
    page.push(post_form("/communities/new", fields, cat.t("communities.create_submit")));
    page.menu = menu(cat, true);
    page
}

/// `GET /communities/new`.
pub async fn new_form(mut visitor: Visitor) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    visitor.ensure_session().await?;
    Ok(visitor.page(&community_form_page(&visitor, &CommunityForm::default(), &[])))
}

/// `POST /communities/new`.
pub async fn create(
    visitor: Visitor,
    form: SjisForm<CommunityForm>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let mut errors = Vec::new();
    for (field, value, allowed) in [
        ("join", &form.join, ["open", "approval"]),
        ("topics", &form.topics, ["members", "participants"]),
    ] {
        if !allowed.contains(&value.as_str()) {
            errors.push(Invalid { field, problem: ashiato_core::Problem::NotAllowed });
        }
    }
    let draft = CommunityDraft::validate(
        &form.name,
        &form.description,
        &form.category,
        form.join == "approval",
        form.topics == "participants",
    );
    let draft = match (draft, errors.is_empty()) {
        (Ok(d), true) => d,
        (Ok(_), false) => {
            return Ok(visitor.page_with_status(
                &community_form_page(&visitor, &form, &errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        (Err(mut more), _) => {
            more.extend(errors);
            return Ok(visitor.page_with_status(
                &community_form_page(&visitor, &form, &more),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let id = visitor
        .state()
        .run(move |c| {
            let new = NewCommunity {
                name: &draft.name,
                description: &draft.description,
                category: &draft.category,
                join_policy: if draft.approval { JoinPolicy::Approval } else { JoinPolicy::Open },
                topic_visibility: if draft.members_only {
                    TopicVisibility::Participants
                } else {
                    TopicVisibility::Members
                },
            };
            ashiato_store::write(c, |c| communities::create(c, &new, me, now()))
        })
        .await?;
    visitor.flash(visitor.cat().t("communities.created").into()).await?;
    Ok(visitor.redirect(&format!("/c/{id}")))
}

async fn load(visitor: &Visitor, id: i64) -> Result<(Community, Membership), WebError> {
    let me = visitor.member_id().ok_or(WebError::NotFound)?;
    let cid = CommunityId(id);
    visitor
        .state()
        .run(move |c| Ok((communities::find(c, cid)?, communities::membership(c, cid, me)?)))
        .await
}

fn can_read_topics(c: &Community, m: Membership) -> bool {
    c.topic_visibility == TopicVisibility::Members || m == Membership::Joined
}

/// `GET /c/{id}`: the community page with its topics.
pub async fn show(
    mut visitor: Visitor,
    id: web::Path<i64>,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let (community, standing) = load(&visitor, *id).await?;
    visitor.ensure_session().await?;
    let (cid, offset) = (community.id, paging.offset());
    let topics = if can_read_topics(&community, standing) {
        Some(
            visitor
                .state()
                .run(move |c| communities::topics_of(c, cid, PAGE_SIZE + 1, offset))
                .await?,
        )
    } else {
        None
    };
    let photo =
        visitor.state().run(move |c| ashiato_store::photos::community_photo(c, cid)).await?;
    let cat = visitor.cat();
    let me = visitor.member_id();
    let mut page = Page::new(community.name.clone());
    page.flash = visitor.take_flash().await?;
    if let Some(p) = &photo {
        page.push(crate::routes::images::image_block(&visitor, p, &community.name));
    }
    let mut facts = vec![Inline::text(
        cat.f("communities.members_count", &[("n", &community.member_count.to_string())]),
    )];
    if !community.category.is_empty() {
        facts.push(Inline::text(format!(" / {}", community.category)));
    }
    page.push(Block::Paragraph(facts));
    page.push(member_text(&visitor, &community.description));
    page.push(Block::Paragraph(vec![Inline::link(
        format!("/c/{cid}/members"),
        cat.t("communities.members"),
    )]));
    match standing {
        Membership::None => {
            page.push(post_form(format!("/c/{cid}/join"), vec![], cat.t("communities.join")))
        }
        Membership::Pending => {
            page.push(Block::Paragraph(vec![Inline::text(cat.t("communities.pending"))]))
        }
        Membership::Joined if community.admin != me => {
            page.push(post_form(format!("/c/{cid}/leave"), vec![], cat.t("communities.leave")))
        }
        Membership::Joined => page.push(Block::Paragraph(vec![
            Inline::text(cat.t("communities.you_are_admin")),
            Inline::text(" "),
            Inline::link(format!("/c/{cid}/photo"), cat.t("communities.photo")),
        ])),
    };
    page.push(Block::Heading(cat.t("communities.topics").into()));
    match topics {
        None => {
            page.push(Block::Paragraph(vec![Inline::text(
                cat.t("communities.topics_members_only"),
            )]));
        }
        Some(list) => {
            if standing == Membership::Joined {
                page.push(Block::Paragraph(vec![Inline::Link(Link {
                    accesskey: Some('*'),
                    ..Link::internal(format!("/c/{cid}/topics/new"), cat.t("communities.new_topic"))
                })]));
            }
            if list.is_empty() {
                page.push(Block::Paragraph(vec![Inline::text(cat.t("communities.no_topics"))]));
            } else {
                page.push(Block::List(
                    list.iter()
                        .take(take(PAGE_SIZE))
                        .map(|t| {
                            vec![
                                Inline::link(format!("/c/{cid}/topics/{}", t.id), t.title.clone()),
                                Inline::text(format!(
                                    " ({}) {}",
                                    t.comment_count,
                                    short_time(t.last_activity_at)
                                )),
                            ]
                        })
                        .collect(),
                ));
            }
            if let Some(p) =
                pager(cat, &format!("/c/{cid}"), paging.number(), list.len() > take(PAGE_SIZE))
            {
                page.push(p);
            }
        }
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `POST /c/{id}/join`.
pub async fn join(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let cid = CommunityId(*id);
    let standing = visitor
        .state()
        .run(move |c| ashiato_store::write(c, |c| communities::request_join(c, cid, me, now())))
        .await?;
    let cat = visitor.cat();
    visitor
        .flash(
            cat.t(if standing == Membership::Joined {
                "communities.joined"
            } else {
                "communities.pending"
            })
            .into(),
        )
        .await?;
    Ok(visitor.redirect(&format!("/c/{cid}")))
}

/// `POST /c/{id}/leave`.
pub async fn leave(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let cid = CommunityId(*id);
    let cat = visitor.cat();
    match visitor
        .state()
        .run(move |c| ashiato_store::write(c, |c| communities::leave(c, cid, me)))
        .await
    {
        Ok(()) => visitor.flash(cat.t("communities.left").into()).await?,
        Err(WebError::Rejected(_)) => {
            visitor.flash(cat.t("communities.admin_cannot_leave").into()).await?;
        }
        Err(e) => return Err(e),
    }
    Ok(visitor.redirect(&format!("/c/{cid}")))
}

/// `GET /c/{id}/members`: members; the admin also sees waiting requests and can approve them
/// or hand over the admin role.
pub async fn members(
    mut visitor: Visitor,
    id: web::Path<i64>,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let (community, _) = load(&visitor, *id).await?;
    visitor.ensure_session().await?;
    let is_admin = community.admin == visitor.member_id();
    let (cid, offset) = (community.id, paging.offset());
    let (joined, pending) = visitor
        .state()
        .run(move |c| {
            let pending =
                if is_admin { communities::members(c, cid, true, 100, 0)? } else { Vec::new() };
            Ok((communities::members(c, cid, false, PAGE_SIZE + 1, offset)?, pending))
        })
        .await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("communities.members_of", &[("name", &community.name)]));
    page.flash = visitor.take_flash().await?;
    if !pending.is_empty() {
        page.push(Block::Heading(cat.t("communities.waiting").into()));
        for m in &pending {
            page.push(Block::Paragraph(vec![member_link(m)]));
            page.push(post_form(
                format!("/c/{cid}/approve/{}", m.id),
                vec![],
                cat.t("communities.approve"),
            ));
        }
    }
    page.push(Block::List(
        joined
            .iter()
            .take(take(PAGE_SIZE))
            .map(|m| {
                let mut row = vec![member_link(m)];
                if community.admin == Some(m.id) {
                    row.push(Inline::text(format!(" [{}]", cat.t("communities.admin"))));
                }
                row
            })
            .collect(),
    ));
    if is_admin {
        let others: Vec<(String, String)> = joined
            .iter()
            .filter(|m| Some(m.id) != community.admin)
            .map(|m| (m.id.to_string(), m.nickname.clone()))
            .collect();
        if !others.is_empty() {
            page.push(Block::Heading(cat.t("communities.transfer").into()));
            page.push(post_form(
                format!("/c/{cid}/admin"),
                vec![Field::new(
                    "to",
                    cat.t("communities.new_admin"),
                    FieldKind::Select { selected: others[0].0.clone(), options: others },
                )],
                cat.t("communities.transfer_submit"),
            ));
        }
    } else if community.admin.is_none() {
        // The admin withdrew: any member can take over.
        if let Some(me) = visitor.member_id() {
            page.push(post_form(
                format!("/c/{cid}/admin"),
                vec![Field::hidden("to", me.to_string())],
                cat.t("communities.take_over"),
            ));
        }
    }
    if let Some(p) =
        pager(cat, &format!("/c/{cid}/members"), paging.number(), joined.len() > take(PAGE_SIZE))
    {
        page.push(p);
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `POST /c/{id}/approve/{member}`.
pub async fn approve(
    visitor: Visitor,
    path: web::Path<(i64, i64)>,
    form: SjisForm<TokenOnly>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let (cid, member) = (CommunityId(path.0), MemberId(path.1));
    match visitor
        .state()
        .run(move |c| ashiato_store::write(c, |c| communities::approve(c, cid, me, member, now())))
        .await
    {
        Ok(()) => visitor.flash(visitor.cat().t("communities.approved").into()).await?,
        Err(WebError::NotFound) => {}
        Err(e) => return Err(e),
    }
    Ok(visitor.redirect(&format!("/c/{cid}/members")))
}

/// Fields of the admin transfer form.
#[derive(Debug, Deserialize)]
pub struct TransferForm {
    to: i64,
    csrf: Option<String>,
}

/// `POST /c/{id}/admin`.
pub async fn transfer(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TransferForm>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let (cid, to) = (CommunityId(*id), MemberId(form.to));
    let cat = visitor.cat();
    match visitor
        .state()
        .run(move |c| ashiato_store::write(c, |c| communities::transfer_admin(c, cid, me, to)))
        .await
    {
        Ok(()) => visitor.flash(cat.t("communities.transferred").into()).await?,
        Err(WebError::Rejected(p)) => visitor.flash(problem_message(cat, p)).await?,
        Err(e) => return Err(e),
    }
    Ok(visitor.redirect(&format!("/c/{cid}/members")))
}

/// Fields of the new-topic form.
#[derive(Debug, Default, Deserialize)]
pub struct TopicForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    csrf: Option<String>,
}

fn topic_form_page(
    visitor: &Visitor,
    community: &Community,
    form: &TopicForm,
    errors: &[Invalid],
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("communities.new_topic_in", &[("name", &community.name)]));
    if !errors.is_empty() {
        page.push(Block::Notice(Notice::Error(cat.t("form.fix_errors").into())));
    }
    let mut fields = vec![
        Field::new(
            "title",
            cat.t("diary.title_label"),
            FieldKind::Text {
                value: form.title.clone(),
                max_chars: Some(ashiato_core::content::TOPIC_TITLE_MAX),
                mode: InputMode::Hiragana,
            },
        ),
        Field::new(
            "body",
            cat.t("diary.body_label"),
            FieldKind::TextArea { value: form.body.clone(), rows: 6 },
        ),
    ];
    attach_errors(cat, &mut fields, errors);
    page.push(post_form(
        format!("/c/{}/topics/new", community.id),
        fields,
        cat.t("communities.post_topic"),
    ));
    page.menu = menu(cat, true);
    page
}

/// `GET /c/{id}/topics/new` (members only).
pub async fn new_topic_form(
    mut visitor: Visitor,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let (community, standing) = load(&visitor, *id).await?;
    if standing != Membership::Joined {
        return Err(WebError::Forbidden("members only".into()));
    }
    visitor.ensure_session().await?;
    Ok(visitor.page(&topic_form_page(&visitor, &community, &TopicForm::default(), &[])))
}

/// `POST /c/{id}/topics/new`.
pub async fn create_topic(
    visitor: Visitor,
    id: web::Path<i64>,
    form: SjisForm<TopicForm>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let (community, standing) = load(&visitor, *id).await?;
    if standing != Membership::Joined {
        return Err(WebError::Forbidden("members only".into()));
    }
    let draft = match TopicDraft::validate(&form.title, &form.body) {
        Ok(d) => d,
        Err(errors) => {
            return Ok(visitor.page_with_status(
                &topic_form_page(&visitor, &community, &form, &errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let cid = community.id;
    let config = visitor.state().config.clone();
    let actor = visitor.member.as_ref().map(|m| m.nickname.clone()).unwrap_or_default();
    let community_name = community.name.clone();
    let tid = visitor
        .state()
        .run(move |c| {
            ashiato_store::write(c, |c| {
                let tid = communities::create_topic(c, cid, me, &draft.title, &draft.body, now())?;
                for recipient in ashiato_store::mail::topic_subscribers(c, cid)? {
                    crate::mail::enqueue_notification(
                        c,
                        &config,
                        crate::mail::Event {
                            recipient,
                            actor: me,
                            kind: ashiato_store::mail::NotifyKind::Topic,
                            what: ashiato_mail::NotificationKind::CommunityTopic {
                                actor: actor.clone(),
                                community: community_name.clone(),
                                topic: draft.title.clone(),
                            },
                            path: format!("/c/{cid}/topics/{tid}"),
                        },
                        now(),
                    )?;
                }
                Ok(tid)
            })
        })
        .await?;
    Ok(visitor.redirect(&format!("/c/{cid}/topics/{tid}")))
}

/// Fields of the topic comment form.
#[derive(Debug, Deserialize)]
pub struct TopicCommentForm {
    #[serde(default)]
    body: String,
    csrf: Option<String>,
}

async fn topic_page(
    mut visitor: Visitor,
    cid: i64,
    tid: i64,
    draft: &str,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let (community, standing) = load(&visitor, cid).await?;
    if !can_read_topics(&community, standing) {
        return Err(WebError::NotFound);
    }
    visitor.ensure_session().await?;
    let topic_id = TopicId(tid);
    let (topic, comments) = visitor
        .state()
        .run(move |c| {
            Ok((
                communities::find_topic(c, topic_id)?,
                communities::topic_comments_of(c, topic_id, 500, 0)?,
            ))
        })
        .await?;
    if topic.community != community.id {
        return Err(WebError::NotFound);
    }
    let cat = visitor.cat();
    let mut page = Page::new(topic.title.clone());
    page.flash = visitor.take_flash().await?;
    page.push(Block::Paragraph(vec![Inline::link(
        format!("/c/{}", community.id),
        community.name.clone(),
    )]));
    page.push(Block::Paragraph(vec![
        member_link(&topic.author),
        Inline::text(format!(" {}", short_time(topic.created_at))),
    ]));
    page.push(member_text(&visitor, &topic.body));
    page.push(Block::Heading(cat.f("diary.comments", &[("n", &comments.len().to_string())])));
    for (n, cm) in comments.iter().enumerate() {
        page.push(Block::Paragraph(vec![
            Inline::text(format!("[{}] ", n + 1)),
            member_link(&cm.author),
            Inline::text(format!(" {}", short_time(cm.created_at))),
        ]));
        page.push(member_text(&visitor, &cm.body));
    }
    if standing == Membership::Joined {
        let mut f = Field::new(
            "body",
            cat.t("diary.comment"),
            FieldKind::TextArea { value: draft.into(), rows: 3 },
        );
        f.error = error.clone();
        page.push(post_form(
            format!("/c/{}/topics/{}/comments", community.id, topic.id),
            vec![f],
            cat.t("diary.comment_submit"),
        ));
    } else {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("communities.join_to_post"))]));
    }
    page.menu = menu(cat, true);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(visitor.page_with_status(&page, status))
}

/// `GET /c/{id}/topics/{topic}`.
pub async fn topic(
    visitor: Visitor,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    topic_page(visitor, path.0, path.1, "", None).await
}

/// `POST /c/{id}/topics/{topic}/comments` (members only).
pub async fn comment(
    visitor: Visitor,
    path: web::Path<(i64, i64)>,
    form: SjisForm<TopicCommentForm>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(form.csrf.as_deref())?;
    let (cid, tid) = path.into_inner();
    let (community, standing) = load(&visitor, cid).await?;
    if standing != Membership::Joined {
        return Err(WebError::Forbidden("members only".into()));
    }
    let body = match validate_comment(&form.body) {
        Ok(b) => b,
        Err(errors) => {
            let msg = errors.first().map(|e| problem_message(visitor.cat(), e.problem));
            return topic_page(visitor, cid, tid, &form.body, msg).await;
        }
    };
    let (community_id, topic_id) = (community.id, TopicId(tid));
    visitor
        .state()
        .run(move |c| {
            ashiato_store::write(c, |c| {
                if communities::find_topic(c, topic_id)?.community != community_id {
                    return Err(ashiato_store::StoreError::NotFound);
                }
                let t = now();
                let since = t.plus_millis(-ashiato_core::content::DOUBLE_SUBMIT_MS);
                if let Some(first) =
                    communities::same_topic_comment_since(c, topic_id, me, &body, since)?
                {
                    return Ok(first);
                }
                communities::add_topic_comment(c, topic_id, me, &body, t)
            })
        })
        .await?;
    visitor.flash(visitor.cat().t("diary.commented").into()).await?;
    Ok(visitor.redirect(&format!("/c/{cid}/topics/{tid}")))
}

fn community_photo_page(
    visitor: &Visitor,
    community: &Community,
    problem: Option<&crate::photos::UploadProblem>,
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("communities.photo_of", &[("name", &community.name)]));
    if let Some(p) = problem {
        page.push(Block::Notice(Notice::Error(cat.t(p.message_key()).into())));
    }
    if crate::routes::images::can_upload(visitor) {
        page.push(Block::Form(ashiato_render::page::Form {
            action: format!("/c/{}/photo", community.id),
            method: ashiato_render::page::Method::Post,
            fields: vec![Field::new(
                "photo",
                cat.t("communities.photo"),
                FieldKind::File { accept: "image/jpeg,image/png,image/gif".into() },
            )],
            submit: cat.t("settings.save").into(),
            multipart: true,
        }));
    } else {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("diary.photos_by_mail"))]));
    }
    page.menu = menu(cat, true);
    page
}

/// `GET /c/{id}/photo`: the admin sets the community's image.
pub async fn photo_form(
    mut visitor: Visitor,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    if visitor.member.is_none() {
        return Ok(visitor.login_redirect());
    }
    let (community, _) = load(&visitor, *id).await?;
    if community.admin != visitor.member_id() {
        return Err(WebError::NotFound);
    }
    visitor.ensure_session().await?;
    Ok(visitor.page(&community_photo_page(&visitor, &community, None)))
}

/// `POST /c/{id}/photo`.
pub async fn photo_upload(
    visitor: Visitor,
    id: web::Path<i64>,
    data: crate::form::FormData,
) -> Result<HttpResponse, WebError> {
    let Some(me) = visitor.member_id() else { return Ok(visitor.login_redirect()) };
    visitor.check_csrf(Some(&data.text("csrf")))?;
    let (community, _) = load(&visitor, *id).await?;
    if community.admin != Some(me) {
        return Err(WebError::NotFound);
    }
    let Some(bytes) = data.file("photo") else {
        let page = community_photo_page(
            &visitor,
            &community,
            Some(&crate::photos::UploadProblem::NotAnImage),
        );
        return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
    };
    match visitor.state().photos.store_upload(visitor.state(), me, bytes.to_vec(), now()).await? {
        Ok(photo) => {
            let cid = community.id;
            let files = visitor.state().photos.files().clone();
            visitor
                .state()
                .run(move |c| {
                    let replaced = ashiato_store::write(c, |c| {
                        ashiato_store::photos::set_community_photo(c, cid, photo)
                    })?;
                    ashiato_store::photos::remove_unreferenced_files(c, &files, &replaced);
                    Ok(())
                })
                .await?;
            visitor.flash(visitor.cat().t("photo.saved").into()).await?;
            Ok(visitor.redirect(&format!("/c/{cid}")))
        }
        Err(problem) => {
            let page = community_photo_page(&visitor, &community, Some(&problem));
            Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}
