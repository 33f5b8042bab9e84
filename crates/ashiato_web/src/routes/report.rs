//! 通報: `GET`/`POST {content path}/report` on every diary entry, diary comment, profile,
//! community, topic, topic comment and received message (docs/operations.md). One handler for
//! all of them: the content is the request path without its `/report`, parsed by
//! `ashiato_core::moderation::Target`, the same parser the operators' tools use.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use ashiato_app::AppError;
use ashiato_app::reports as uc;
use ashiato_core::moderation::{ReportCategory, Target};
use ashiato_core::{Invalid, Problem};
use ashiato_render::page::{Block, Field, FieldKind, Inline, Notice, Page};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{MemberPosted, SjisForm};
use crate::routes::{attach_errors, post_form};
use crate::visitor::{Member, Visitor};

/// The content a `/report` path is about; anything else is a 404.
fn target_of(req: &HttpRequest) -> Result<Target, WebError> {
    req.path().strip_suffix("/report").and_then(Target::parse).ok_or(WebError::NotFound)
}

/// Fields of the report form.
#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    note: String,
}

fn form_page(
    visitor: &Visitor,
    target: Target,
    label: &str,
    form: &ReportForm,
    errors: &[Invalid],
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("report.title"));
    if !errors.is_empty() {
        page.push(Block::Notice(Notice::Error(cat.t("form.fix_errors").into())));
    }
    page.push(Block::Paragraph(vec![
        Inline::text(cat.t(&format!("report.what_{}", target.kind().as_str()))),
        Inline::text(": "),
        Inline::link(target.page_path(), label.to_owned()),
    ]));
    page.push(Block::Paragraph(vec![Inline::text(cat.t("report.explain"))]));
    let options = ReportCategory::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), cat.t(&format!("report.category_{}", c.as_str())).into()))
        .collect();
    let mut fields = vec![
        Field::new(
            "category",
            cat.t("report.category"),
            FieldKind::Select { options, selected: form.category.clone() },
        ),
        Field::new(
            "note",
            cat.t("report.note"),
            FieldKind::TextArea { value: form.note.clone(), rows: 3 },
        ),
    ];
    attach_errors(cat, &mut fields, errors);
    page.push(post_form(format!("{}/report", target.path()), fields, cat.t("report.submit")));
    page.push(Block::Paragraph(vec![Inline::link(target.page_path(), cat.t("report.back"))]));
    page
}

/// The clear refusal of a report on one's own content.
fn own_content(visitor: &Visitor, target: Target) -> HttpResponse {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("report.title"));
    page.push(Block::Notice(Notice::Error(cat.t("report.own").into())));
    page.push(Block::Paragraph(vec![Inline::link(target.page_path(), cat.t("report.back"))]));
    visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
}

/// What the reporter may see of the target, with a clear page for their own content.
async fn seen(
    visitor: &Visitor,
    me: ashiato_core::MemberId,
    target: Target,
) -> Result<Result<String, HttpResponse>, WebError> {
    match uc::seen(visitor.state(), me, target).await {
        Ok(label) => Ok(Ok(label)),
        Err(AppError::Rejected(Problem::NotAllowed)) => Ok(Err(own_content(visitor, target))),
        Err(e) => Err(e.into()),
    }
}

/// `GET …/report`: the form.
pub async fn form(
    req: HttpRequest,
    Member { mut visitor, id: me, .. }: Member,
) -> Result<HttpResponse, WebError> {
    let target = target_of(&req)?;
    let label = match seen(&visitor, me, target).await? {
        Ok(label) => label,
        Err(page) => return Ok(page),
    };
    visitor.ensure_session().await?;
    let page = form_page(&visitor, target, &label, &ReportForm::default(), &[]);
    Ok(visitor.page(&page))
}

/// `POST …/report`: files the report (or folds it into the member's open one).
pub async fn submit(
    req: HttpRequest,
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<ReportForm>,
    >,
) -> Result<HttpResponse, WebError> {
    let target = target_of(&req)?;
    let form = form.into_inner();
    let mut errors = Vec::new();
    let category = ReportCategory::parse(&form.category);
    if category.is_none() {
        errors.push(Invalid { field: "category", problem: Problem::Empty });
    }
    let note = uc::note_text(&form.note)
        .map_err(|problem| errors.push(Invalid { field: "note", problem }))
        .unwrap_or_default();
    let Some(category) = category.filter(|_| errors.is_empty()) else {
        // The form again, for content the reporter may see (anything else: 404).
        let label = match seen(&visitor, me, target).await? {
            Ok(label) => label,
            Err(page) => return Ok(page),
        };
        let page = form_page(&visitor, target, &label, &form, &errors);
        return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
    };
    // Filing checks what the reporter may see, in the same transaction.
    let fresh = match uc::file(visitor.state(), me, target, category, note).await {
        Ok(fresh) => fresh,
        Err(AppError::Rejected(Problem::NotAllowed)) => return Ok(own_content(&visitor, target)),
        Err(e) => return Err(e.into()),
    };
    let cat = visitor.cat();
    visitor.flash(cat.t(if fresh { "report.filed" } else { "report.already" }).into()).await?;
    Ok(visitor.redirect(&target.page_path()))
}
