//! Running a community (`ashiato_app::community_admin`): editing and deleting topics and topic
//! comments, removing members, naming sub-admins, editing the community's name and
//! description. Everyone without the right gets a 404, as for content that is not there.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use ashiato_app::AppError;
use ashiato_app::community_admin as uc;
use ashiato_core::content::{COMMUNITY_NAME_MAX, TOPIC_TITLE_MAX, TopicDraft, validate_comment};
use ashiato_core::{CommunityId, Invalid, MemberId, Problem, TopicCommentId, TopicId};
use ashiato_render::page::{Field, FieldKind, InputMode, Page};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{MemberPosted, SjisForm};
use crate::routes::profile::{TokenOnly, confirm};
use crate::routes::{attach_errors, menu, post_form, problem_message};
use crate::visitor::{Member, Visitor};

/// A form of one line and one text area (a topic, the community's details) or of the text
/// area alone (a comment).
fn text_form(
    visitor: &Visitor,
    title: &str,
    action: String,
    line: Option<(&str, &str, &str, usize)>,
    area: (&str, &str, &str),
    errors: &[Invalid],
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(title);
    let mut fields = Vec::new();
    if let Some((name, label, value, max)) = line {
        fields.push(Field::new(
            name,
            label,
            FieldKind::Text {
                value: value.into(),
                max_chars: Some(max),
                mode: InputMode::Hiragana,
            },
        ));
    }
    let (name, label, value) = area;
    fields.push(Field::new(name, label, FieldKind::TextArea { value: value.into(), rows: 6 }));
    attach_errors(cat, &mut fields, errors);
    page.push(post_form(action, fields, cat.t("communities.save")));
    page.menu = menu(cat, true);
    page
}

fn refused(visitor: &Visitor, page: &Page) -> HttpResponse {
    visitor.page_with_status(page, StatusCode::UNPROCESSABLE_ENTITY)
}

/// Fields of a topic's edit form.
#[derive(Debug, Default, Deserialize)]
pub struct TopicForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

fn topic_form(visitor: &Visitor, cid: i64, tid: i64, f: &TopicForm, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    text_form(
        visitor,
        cat.t("communities.edit_topic"),
        format!("/c/{cid}/topics/{tid}/edit"),
        Some(("title", cat.t("diary.title_label"), &f.title, TOPIC_TITLE_MAX)),
        ("body", cat.t("diary.body_label"), &f.body),
        errors,
    )
}

/// `GET /c/{id}/topics/{topic}/edit`: the author's edit form.
pub async fn edit_topic_form(
    Member { mut visitor, id: me, .. }: Member,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, tid) = path.into_inner();
    let (title, body) = uc::own_topic(visitor.state(), me, CommunityId(cid), TopicId(tid)).await?;
    visitor.ensure_session().await?;
    Ok(visitor.page(&topic_form(&visitor, cid, tid, &TopicForm { title, body }, &[])))
}

/// `POST /c/{id}/topics/{topic}/edit`.
pub async fn edit_topic(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<TopicForm>,
    >,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, tid) = path.into_inner();
    let form = form.into_inner();
    let draft = match TopicDraft::validate(&form.title, &form.body) {
        Ok(d) => d,
        Err(errors) => {
            return Ok(refused(&visitor, &topic_form(&visitor, cid, tid, &form, &errors)));
        }
    };
    uc::edit_topic(visitor.state(), me, CommunityId(cid), TopicId(tid), draft).await?;
    visitor.flash(visitor.cat().t("communities.saved").into()).await?;
    Ok(visitor.redirect(&format!("/c/{cid}/topics/{tid}")))
}

/// `GET /c/{id}/topics/{topic}/delete`: confirm (the author, or a moderator).
pub async fn delete_topic_form(
    Member { mut visitor, id: me, .. }: Member,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, tid) = path.into_inner();
    let title = uc::deletable_topic(visitor.state(), me, CommunityId(cid), TopicId(tid)).await?;
    visitor.ensure_session().await?;
    let cat = visitor.cat();
    let question = cat.f("communities.delete_topic_question", &[("title", &title)]);
    let submit = cat.t("communities.delete_topic");
    Ok(confirm(&visitor, submit, &question, format!("/c/{cid}/topics/{tid}/delete"), submit))
}

/// `POST /c/{id}/topics/{topic}/delete`.
pub async fn delete_topic(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, tid) = path.into_inner();
    match uc::delete_topic(visitor.state(), me, CommunityId(cid), TopicId(tid)).await {
        Ok(()) => visitor.flash(visitor.cat().t("communities.topic_deleted").into()).await?,
        // Gone already (a double submit): nothing changes.
        Err(AppError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(visitor.redirect(&format!("/c/{cid}")))
}

/// Fields of a comment's edit form.
#[derive(Debug, Default, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
}

fn comment_form(visitor: &Visitor, base: &str, body: &str, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    text_form(
        visitor,
        cat.t("communities.edit_comment"),
        format!("{base}/edit"),
        None,
        ("body", cat.t("diary.comment"), body),
        errors,
    )
}

/// `GET /c/{id}/topics/{topic}/comments/{comment}/edit`: the author's edit form.
pub async fn edit_comment_form(
    Member { mut visitor, id: me, .. }: Member,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, tid, kid) = path.into_inner();
    let body =
        uc::own_comment(visitor.state(), me, CommunityId(cid), TopicId(tid), TopicCommentId(kid))
            .await?;
    visitor.ensure_session().await?;
    let base = format!("/c/{cid}/topics/{tid}/comments/{kid}");
    Ok(visitor.page(&comment_form(&visitor, &base, &body, &[])))
}

/// `POST /c/{id}/topics/{topic}/comments/{comment}/edit`.
pub async fn edit_comment(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<CommentForm>,
    >,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, tid, kid) = path.into_inner();
    let base = format!("/c/{cid}/topics/{tid}/comments/{kid}");
    let body = match validate_comment(&form.body) {
        Ok(b) => b,
        Err(errors) => {
            return Ok(refused(&visitor, &comment_form(&visitor, &base, &form.body, &errors)));
        }
    };
    let ids = (CommunityId(cid), TopicId(tid), TopicCommentId(kid));
    uc::edit_comment(visitor.state(), me, ids.0, ids.1, ids.2, body).await?;
    visitor.flash(visitor.cat().t("communities.saved").into()).await?;
    Ok(visitor.redirect(&format!("/c/{cid}/topics/{tid}")))
}

/// `POST /c/{id}/topics/{topic}/comments/{comment}/delete`: by its author or a moderator.
pub async fn delete_comment(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, tid, kid) = path.into_inner();
    let ids = (CommunityId(cid), TopicId(tid), TopicCommentId(kid));
    match uc::delete_comment(visitor.state(), me, ids.0, ids.1, ids.2).await {
        Ok(()) => visitor.flash(visitor.cat().t("diary.comment_deleted").into()).await?,
        Err(AppError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(visitor.redirect(&format!("/c/{cid}/topics/{tid}")))
}

/// Fields of the community's edit form.
#[derive(Debug, Default, Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

fn details_form(visitor: &Visitor, cid: i64, f: &DetailsForm, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    text_form(
        visitor,
        cat.t("communities.edit_details"),
        format!("/c/{cid}/edit"),
        Some(("name", cat.t("communities.name"), &f.name, COMMUNITY_NAME_MAX)),
        ("description", cat.t("communities.description"), &f.description),
        errors,
    )
}

/// `GET /c/{id}/edit`: the admin edits the name and description.
pub async fn edit_details_form(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let community =
        ashiato_app::communities::administered(visitor.state(), me, CommunityId(*id)).await?;
    visitor.ensure_session().await?;
    let form = DetailsForm { name: community.name, description: community.description };
    Ok(visitor.page(&details_form(&visitor, *id, &form, &[])))
}

/// `POST /c/{id}/edit`.
pub async fn edit_details(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<DetailsForm>,
    >,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let mut errors = Vec::new();
    let name = ashiato_core::text::clean_line(&form.name, COMMUNITY_NAME_MAX)
        .map_err(|problem| errors.push(Invalid { field: "name", problem }));
    let description = ashiato_core::text::clean_multiline(
        &form.description,
        ashiato_core::content::COMMUNITY_DESCRIPTION_MAX,
    )
    .map_err(|problem| errors.push(Invalid { field: "description", problem }));
    let (Ok(name), Ok(description)) = (name, description) else {
        // The form is refused only to the admin: anyone else meets the 404 first.
        ashiato_app::communities::administered(visitor.state(), me, CommunityId(*id)).await?;
        return Ok(refused(&visitor, &details_form(&visitor, *id, &form, &errors)));
    };
    uc::edit_details(visitor.state(), me, CommunityId(*id), name, description).await?;
    visitor.flash(visitor.cat().t("communities.saved").into()).await?;
    Ok(visitor.redirect(&format!("/c/{}", *id)))
}

/// `POST /c/{id}/members/{member}/remove`: a moderator removes a member.
pub async fn remove_member(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, member) = path.into_inner();
    let cat = visitor.cat();
    match uc::remove_member(visitor.state(), me, CommunityId(cid), MemberId(member)).await {
        Ok(()) => visitor.flash(cat.t("communities.member_removed").into()).await?,
        Err(AppError::Rejected(p)) => visitor.flash(problem_message(cat, p)).await?,
        Err(e) => return Err(e.into()),
    }
    Ok(visitor.redirect(&format!("/c/{cid}/members")))
}

/// `POST /c/{id}/members/{member}/subadmin`: the admin names or un-names a sub-admin.
pub async fn subadmin(
    MemberPosted { member: Member { visitor, id: me, .. }, .. }: MemberPosted<SjisForm<TokenOnly>>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (cid, member) = path.into_inner();
    let cat = visitor.cat();
    match uc::toggle_subadmin(visitor.state(), me, CommunityId(cid), MemberId(member)).await {
        Ok(true) => visitor.flash(cat.t("communities.subadmin_named").into()).await?,
        Ok(false) => visitor.flash(cat.t("communities.subadmin_unnamed").into()).await?,
        Err(AppError::Rejected(Problem::NotAllowed)) => {
            visitor.flash(problem_message(cat, Problem::NotAllowed)).await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(visitor.redirect(&format!("/c/{cid}/members")))
}
