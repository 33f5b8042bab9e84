//! Communities: list, create, join/leave, members, admin transfer, topics and comments.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use ashiato_app::AppError;
use ashiato_app::communities as uc;
use ashiato_app::photos::UploadProblem;
use ashiato_core::content::{CommunityDraft, TopicDraft, validate_comment};
use ashiato_core::{CommunityId, Invalid, MemberId, TopicId};
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Link, Notice, Page};
use ashiato_store::communities::{Community, Membership};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{FormData, MemberPosted, SjisForm, SjisQuery};
use crate::routes::profile::TokenOnly;
use crate::routes::text::member_text;
use crate::routes::{
    PAGE_SIZE, Paging, attach_errors, member_link, menu, pager, post_form, problem_message,
    short_time,
};
use crate::visitor::{Member, Visitor};

/// Most comments shown under a topic.
const COMMENTS_SHOWN: i64 = 500;

fn take(n: i64) -> usize {
    usize::try_from(n).unwrap_or(20)
}

/// `GET /communities`: every community, and mine.
pub async fn list(
    Member { visitor, id: me, .. }: Member,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    let uc::Overview { all, mine } =
        uc::overview(visitor.state(), me, PAGE_SIZE + 1, paging.offset()).await?;
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
pub async fn new_form(Member { mut visitor, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    Ok(visitor.page(&community_form_page(&visitor, &CommunityForm::default(), &[])))
}

/// `POST /communities/new`.
pub async fn create(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<CommunityForm>,
    >,
) -> Result<HttpResponse, WebError> {
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
    let id = uc::create(visitor.state(), me, draft).await?;
    visitor.flash(visitor.cat().t("communities.created").into()).await?;
    Ok(visitor.redirect(&format!("/c/{id}")))
}

/// `GET /c/{id}`: the community page with its topics.
pub async fn show(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    let uc::CommunityPage { community, standing, topics, photo } =
        uc::page(visitor.state(), me, CommunityId(*id), PAGE_SIZE + 1, paging.offset()).await?;
    visitor.ensure_session().await?;
    let cid = community.id;
    let cat = visitor.cat();
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
        Membership::Joined if community.admin != Some(me) => {
            page.push(post_form(format!("/c/{cid}/leave"), vec![], cat.t("communities.leave")))
        }
        Membership::Joined => page.push(Block::Paragraph(vec![
            Inline::text(cat.t("communities.you_are_admin")),
            Inline::text(" "),
            Inline::link(format!("/c/{cid}/edit"), cat.t("communities.edit")),
            Inline::text(" | "),
            Inline::link(format!("/c/{cid}/photo"), cat.t("communities.photo")),
        ])),
    };
    if community.admin != Some(me) {
        page.push(Block::Paragraph(vec![Inline::link(
            format!("/c/{cid}/report"),
            cat.t("report.link"),
        )]));
    }
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
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let cid = CommunityId(*id);
    let standing = uc::join(visitor.state(), me, cid).await?;
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
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let cid = CommunityId(*id);
    let cat = visitor.cat();
    match uc::leave(visitor.state(), me, cid).await {
        Ok(()) => visitor.flash(cat.t("communities.left").into()).await?,
        Err(AppError::Rejected(_)) => {
            visitor.flash(cat.t("communities.admin_cannot_leave").into()).await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(visitor.redirect(&format!("/c/{cid}")))
}

/// `GET /c/{id}/members`: members; the admin also sees waiting requests and can approve them
/// or hand over the admin role.
pub async fn members(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    let uc::Members { community, is_admin, moderates, subadmins, joined, pending } =
        uc::members(visitor.state(), me, CommunityId(*id), PAGE_SIZE + 1, paging.offset()).await?;
    visitor.ensure_session().await?;
    let cid = community.id;
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
                } else if subadmins.contains(&m.id) {
                    row.push(Inline::text(format!(" [{}]", cat.t("communities.subadmin"))));
                }
                row
            })
            .collect(),
    ));
    // Moderators' forms: one per member they may act on (never the admin, never themselves).
    if moderates {
        for m in joined.iter().take(take(PAGE_SIZE)) {
            let sub = subadmins.contains(&m.id);
            if community.admin == Some(m.id) || m.id == me || (!is_admin && sub) {
                continue;
            }
            page.push(Block::Paragraph(vec![Inline::text(m.nickname.clone())]));
            page.push(post_form(
                format!("/c/{cid}/members/{}/remove", m.id),
                vec![],
                cat.t("communities.remove_member"),
            ));
            if is_admin {
                page.push(post_form(
                    format!("/c/{cid}/members/{}/subadmin", m.id),
                    vec![],
                    cat.t(if sub {
                        "communities.unname_subadmin"
                    } else {
                        "communities.name_subadmin"
                    }),
                ));
            }
        }
    }
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
        page.push(post_form(
            format!("/c/{cid}/admin"),
            vec![Field::hidden("to", me.to_string())],
            cat.t("communities.take_over"),
        ));
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
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, member) = (CommunityId(path.0), MemberId(path.1));
    match uc::approve(visitor.state(), me, cid, member).await {
        Ok(()) => visitor.flash(visitor.cat().t("communities.approved").into()).await?,
        // Approved already (double submit) or not the admin: nothing changes.
        Err(AppError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(visitor.redirect(&format!("/c/{cid}/members")))
}

/// Fields of the admin transfer form.
#[derive(Debug, Deserialize)]
pub struct TransferForm {
    to: i64,
}

/// `POST /c/{id}/admin`.
pub async fn transfer(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<TransferForm>,
    >,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (cid, to) = (CommunityId(*id), MemberId(form.to));
    let cat = visitor.cat();
    match uc::transfer_admin(visitor.state(), me, cid, to).await {
        Ok(()) => visitor.flash(cat.t("communities.transferred").into()).await?,
        Err(AppError::Rejected(p)) => visitor.flash(problem_message(cat, p)).await?,
        Err(e) => return Err(e.into()),
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
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let community = uc::joined(visitor.state(), me, CommunityId(*id)).await?;
    visitor.ensure_session().await?;
    Ok(visitor.page(&topic_form_page(&visitor, &community, &TopicForm::default(), &[])))
}

/// `POST /c/{id}/topics/new`.
pub async fn create_topic(
    MemberPosted { member: Member { visitor, id: me, nickname }, form }: MemberPosted<
        SjisForm<TopicForm>,
    >,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let community = uc::joined(visitor.state(), me, CommunityId(*id)).await?;
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
    let tid = uc::create_topic(visitor.state(), me, nickname, community, draft).await?;
    Ok(visitor.redirect(&format!("/c/{cid}/topics/{tid}")))
}

/// Fields of the topic comment form.
#[derive(Debug, Deserialize)]
pub struct TopicCommentForm {
    #[serde(default)]
    body: String,
}

async fn topic_page(
    Member { mut visitor, id: me, .. }: Member,
    cid: i64,
    tid: i64,
    draft: &str,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let uc::TopicPage { community, standing, role, topic, comments } =
        uc::topic(visitor.state(), me, CommunityId(cid), TopicId(tid), COMMENTS_SHOWN).await?;
    visitor.ensure_session().await?;
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
    let base = format!("/c/{}/topics/{}", community.id, topic.id);
    page.push(Block::Paragraph(moderation_links(
        cat,
        &base,
        topic.author.id == me,
        role.moderates(),
    )));
    page.push(Block::Heading(cat.f("diary.comments", &[("n", &comments.len().to_string())])));
    for (n, cm) in comments.iter().enumerate() {
        let mine = cm.author.id == me;
        let mut byline = vec![
            Inline::text(format!("[{}] ", n + 1)),
            member_link(&cm.author),
            Inline::text(format!(" {} ", short_time(cm.created_at))),
        ];
        let comment = format!("{base}/comments/{}", cm.id);
        if mine {
            byline.push(Inline::link(format!("{comment}/edit"), cat.t("communities.edit")));
        } else {
            byline.push(Inline::link(format!("{comment}/report"), cat.t("report.link")));
        }
        page.push(Block::Paragraph(byline));
        page.push(member_text(&visitor, &cm.body));
        if mine || role.moderates() {
            page.push(post_form(
                format!("{comment}/delete"),
                vec![],
                cat.t("diary.delete_comment"),
            ));
        }
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

/// The links under a topic: its author edits and deletes it, a moderator deletes it, anyone
/// else reports it.
fn moderation_links(
    cat: &ashiato_render::i18n::Catalog,
    base: &str,
    mine: bool,
    moderates: bool,
) -> Vec<Inline> {
    let mut links = Vec::new();
    if mine {
        links.push(Inline::link(format!("{base}/edit"), cat.t("communities.edit")));
        links.push(Inline::text(" | "));
    }
    if mine || moderates {
        links.push(Inline::link(format!("{base}/delete"), cat.t("communities.delete_topic")));
    }
    if !mine {
        if moderates {
            links.push(Inline::text(" | "));
        }
        links.push(Inline::link(format!("{base}/report"), cat.t("report.link")));
    }
    links
}

/// `GET /c/{id}/topics/{topic}`.
pub async fn topic(member: Member, path: web::Path<(i64, i64)>) -> Result<HttpResponse, WebError> {
    topic_page(member, path.0, path.1, "", None).await
}

/// `POST /c/{id}/topics/{topic}/comments` (members only).
pub async fn comment(
    MemberPosted { member, form }: MemberPosted<SjisForm<TopicCommentForm>>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, tid) = path.into_inner();
    let community = uc::joined(member.visitor.state(), member.id, CommunityId(cid)).await?;
    let body = match validate_comment(&form.body) {
        Ok(b) => b,
        Err(errors) => {
            let msg = errors.first().map(|e| problem_message(member.visitor.cat(), e.problem));
            return topic_page(member, cid, tid, &form.body, msg).await;
        }
    };
    let Member { visitor, id: me, .. } = member;
    uc::comment(visitor.state(), me, community.id, TopicId(tid), body).await?;
    visitor.flash(visitor.cat().t("diary.commented").into()).await?;
    Ok(visitor.redirect(&format!("/c/{cid}/topics/{tid}")))
}

fn community_photo_page(
    visitor: &Visitor,
    community: &Community,
    problem: Option<&UploadProblem>,
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("communities.photo_of", &[("name", &community.name)]));
    if let Some(p) = problem {
        page.push(Block::Notice(Notice::Error(cat.t(p.message_key()).into())));
    }
    page.push(crate::routes::images::upload_form(
        visitor,
        format!("/c/{}/photo", community.id),
        cat.t("communities.photo"),
    ));
    page.menu = menu(cat, true);
    page
}

/// `GET /c/{id}/photo`: the admin sets the community's image.
pub async fn photo_form(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let community = uc::administered(visitor.state(), me, CommunityId(*id)).await?;
    visitor.ensure_session().await?;
    Ok(visitor.page(&community_photo_page(&visitor, &community, None)))
}

/// `POST /c/{id}/photo`.
pub async fn photo_upload(
    MemberPosted { member: Member { visitor, id: me, .. }, form: data }: MemberPosted<FormData>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let community = uc::administered(visitor.state(), me, CommunityId(*id)).await?;
    let Some(bytes) = data.file("photo") else {
        let page = community_photo_page(&visitor, &community, Some(&UploadProblem::NotAnImage));
        return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
    };
    let cid = community.id;
    match uc::set_photo(visitor.state(), me, cid, bytes.to_vec()).await? {
        Ok(()) => {
            visitor.flash(visitor.cat().t("photo.saved").into()).await?;
            Ok(visitor.redirect(&format!("/c/{cid}")))
        }
        Err(problem) => {
            let page = community_photo_page(&visitor, &community, Some(&problem));
            Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}
