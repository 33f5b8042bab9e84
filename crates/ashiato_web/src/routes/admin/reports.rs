//! The console's reports queue and content removal: `/admin/reports` (open, or all with
//! `?all=1`), `/admin/reports/{id}` (the report, what it points at, and the forms to remove
//! it, resolve or dismiss), `/admin/content?path=` (any content by its page path) and
//! `POST /admin/content/remove`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use ashiato_app::AppError;
use ashiato_app::removal::ContentView;
use ashiato_app::reports::{self as uc, ACTIONS, Outcome};
use ashiato_core::Invalid;
use ashiato_core::moderation::Target;
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Notice, Page};
use ashiato_store::reports::{Report, State};
use serde::Deserialize;

use super::{Admin, acting, console_menu, gate};
use crate::error::WebError;
use crate::form::{SjisForm, SjisQuery, Submitted};
use crate::routes::{attach_errors, post_form, short_time};
use crate::visitor::Visitor;

/// `?all=1` shows handled reports too.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    all: Option<u8>,
}

fn state_label(visitor: &Visitor, state: State) -> String {
    visitor.cat().t(&format!("admin.report_{}", state.as_str())).to_owned()
}

fn report_line(visitor: &Visitor, r: &Report) -> Vec<Inline> {
    let cat = visitor.cat();
    let mut line = vec![
        Inline::link(format!("/admin/reports/{}", r.id), format!("#{}", r.id)),
        Inline::text(format!(
            " [{}] {} {} ",
            state_label(visitor, r.state),
            cat.t(&format!("report.category_{}", r.category)),
            r.target
        )),
        Inline::text(format!(
            "{} {}",
            r.reporter_email.as_deref().unwrap_or("-"),
            short_time(r.created_at)
        )),
    ];
    if !r.note.is_empty() {
        line.push(Inline::Break);
        line.push(Inline::text(r.note.clone()));
    }
    line
}

/// `GET /admin/reports`: the queue, newest first.
pub async fn queue(
    Admin { mut visitor, .. }: Admin,
    query: SjisQuery<QueueQuery>,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let all = query.all.is_some_and(|a| a > 0);
    let reports = uc::queue(visitor.state(), !all).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("admin.reports"));
    page.flash = visitor.take_flash().await?;
    console_menu(&mut page, &visitor);
    page.push(Block::Paragraph(vec![if all {
        Inline::link("/admin/reports", cat.t("admin.reports_open"))
    } else {
        Inline::link("/admin/reports?all=1", cat.t("admin.reports_all"))
    }]));
    if reports.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("admin.reports_none"))]));
    } else {
        page.push(Block::List(reports.iter().map(|r| report_line(&visitor, r)).collect()));
    }
    Ok(visitor.page(&page))
}

/// The content as the console shows it: author (linked to their file), title, text.
fn content_blocks(visitor: &Visitor, page: &mut Page, target: Target, view: &ContentView) {
    let cat = visitor.cat();
    let mut head = vec![
        Inline::Strong(cat.t(&format!("report.what_{}", target.kind().as_str())).to_owned()),
        Inline::text(format!(" {} ", target.path())),
        Inline::link(view.page.clone(), cat.t("admin.open_page")),
    ];
    if let Some(a) = &view.author {
        head.push(Inline::Break);
        head.push(Inline::text(format!("{}: ", cat.t("admin.author"))));
        head.push(Inline::link(format!("/admin/members/{}", a.id), a.nickname.clone()));
    }
    page.push(Block::Paragraph(head));
    page.push(Block::Heading(view.title.clone()));
    page.push(crate::routes::text::member_text(visitor, &view.body));
}

/// The removal form for `target` (not for a profile: suspend the member instead).
fn removal_form(visitor: &Visitor, page: &mut Page, target: Target, errors: &[Invalid]) {
    let cat = visitor.cat();
    if matches!(target, Target::Profile(_)) {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("admin.profile_not_removable"))]));
        return;
    }
    let mut fields = vec![
        Field::hidden("path", target.path()),
        Field::new(
            "reason",
            cat.t("admin.reason"),
            FieldKind::TextArea { value: String::new(), rows: 3 },
        ),
    ];
    attach_errors(cat, &mut fields, errors);
    page.push(post_form("/admin/content/remove", fields, cat.t("admin.remove_content")));
}

fn report_page(
    visitor: &Visitor,
    report: &Report,
    content: Option<&ContentView>,
    errors: &[Invalid],
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(format!("{} #{}", cat.t("admin.report"), report.id));
    console_menu(&mut page, visitor);
    page.push(Block::List(vec![report_line(visitor, report)]));
    if report.state != State::Open {
        page.push(Block::Paragraph(vec![Inline::text(format!(
            "{}: {} {}",
            cat.t("admin.report_action"),
            report.action,
            report.resolution
        ))]));
    }
    let target = Target::parse(&report.target);
    match (target, content) {
        (Some(t), Some(view)) => {
            content_blocks(visitor, &mut page, t, view);
            if report.state == State::Open {
                removal_form(visitor, &mut page, t, errors);
            }
        }
        _ => {
            page.push(Block::Notice(Notice::Info(cat.t("admin.content_gone").into())));
        }
    }
    if report.state == State::Open {
        let options = ACTIONS
            .iter()
            .map(|a| ((*a).to_owned(), cat.t(&format!("admin.action_{a}")).to_owned()))
            .collect();
        let note = || {
            Field::new(
                "note",
                cat.t("admin.note"),
                FieldKind::TextArea { value: String::new(), rows: 2 },
            )
        };
        page.push(Block::Heading(cat.t("admin.resolve").into()));
        page.push(post_form(
            format!("/admin/reports/{}/resolve", report.id),
            vec![
                Field::new(
                    "action",
                    cat.t("admin.report_action"),
                    FieldKind::Select { options, selected: "warned".into() },
                ),
                note(),
            ],
            cat.t("admin.resolve"),
        ));
        page.push(post_form(
            format!("/admin/reports/{}/dismiss", report.id),
            vec![note()],
            cat.t("admin.dismiss"),
        ));
    }
    page
}

/// `GET /admin/reports/{id}`.
pub async fn show(
    Admin { mut visitor, .. }: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let (report, content) = uc::with_content(visitor.state(), *id).await?;
    let mut page = report_page(&visitor, &report, content.as_ref(), &[]);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

/// Fields of the resolve and dismiss forms.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
}

/// `POST /admin/reports/{id}/{resolve|dismiss}`.
pub async fn decide(
    path: web::Path<(i64, String)>,
    post: Submitted<SjisForm<DecisionForm>>,
) -> Result<HttpResponse, WebError> {
    let (Admin { visitor, id: admin }, form) = acting(post)?;
    let (id, what) = path.into_inner();
    let outcome = match what.as_str() {
        "resolve" => Outcome::Resolved,
        "dismiss" => Outcome::Dismissed,
        _ => return Err(WebError::NotFound),
    };
    let cat = visitor.cat();
    match uc::decide_by(visitor.state(), admin, id, outcome, form.action, form.note).await {
        Ok(true) => visitor.flash(cat.t("admin.done").into()).await?,
        // Handled already (by another admin, or a double submit): nothing changes.
        Ok(false) => visitor.flash(cat.t("admin.report_handled").into()).await?,
        Err(AppError::Rejected(p)) => visitor.flash(crate::routes::problem_message(cat, p)).await?,
        Err(e) => return Err(e.into()),
    }
    Ok(visitor.redirect(&format!("/admin/reports/{id}")))
}

/// `?path=` of the content page.
#[derive(Debug, Default, Deserialize)]
pub struct ContentQuery {
    #[serde(default)]
    path: String,
}

fn content_page(
    visitor: &Visitor,
    path: &str,
    found: Option<(Target, &ContentView)>,
    errors: &[Invalid],
) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("admin.content"));
    console_menu(&mut page, visitor);
    page.push(Block::Form(ashiato_render::page::Form {
        action: "/admin/content".into(),
        method: ashiato_render::page::Method::Get,
        fields: vec![Field::new(
            "path",
            cat.t("admin.content_path"),
            FieldKind::Text { value: path.into(), max_chars: Some(100), mode: InputMode::Alphabet },
        )],
        submit: cat.t("admin.content_open").into(),
        multipart: false,
    }));
    match found {
        Some((t, view)) => {
            content_blocks(visitor, &mut page, t, view);
            removal_form(visitor, &mut page, t, errors);
        }
        None if !path.is_empty() => {
            page.push(Block::Notice(Notice::Error(cat.t("admin.content_gone").into())));
        }
        None => {}
    }
    page
}

/// `GET /admin/content?path=/diary/5`: any content by its page path, with the removal form.
pub async fn content(
    Admin { mut visitor, .. }: Admin,
    query: SjisQuery<ContentQuery>,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    if let Some(page) = gate(&visitor) {
        return Ok(page);
    }
    let path = query.into_inner().path.trim().to_owned();
    let target = Target::parse(&path);
    let view = match target {
        Some(t) => match ashiato_app::removal::view(visitor.state(), t).await {
            Ok(v) => Some(v),
            Err(AppError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let found = target.zip(view.as_ref());
    let status =
        if found.is_none() && !path.is_empty() { StatusCode::NOT_FOUND } else { StatusCode::OK };
    let mut page = content_page(&visitor, &path, found, &[]);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page_with_status(&page, status))
}

/// Fields of the removal form.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    path: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/content/remove`: removes the content (tombstone, photos off the disk, its
/// open reports resolved, one audit row).
pub async fn remove(post: Submitted<SjisForm<RemoveForm>>) -> Result<HttpResponse, WebError> {
    let (Admin { visitor, id: admin }, form) = acting(post)?;
    let target = Target::parse(form.path.trim()).ok_or(WebError::NotFound)?;
    match ashiato_app::removal::remove_by(visitor.state(), admin, target, form.reason).await {
        Ok(_) => {
            visitor.flash(visitor.cat().t("admin.removed").into()).await?;
            Ok(visitor.redirect("/admin/reports"))
        }
        Err(AppError::Rejected(problem)) => {
            let view = ashiato_app::removal::view(visitor.state(), target).await?;
            let errors = [Invalid { field: "reason", problem }];
            let page = content_page(&visitor, &target.path(), Some((target, &view)), &errors);
            Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY))
        }
        // Removed already (another admin, a double submit): say so, change nothing.
        Err(AppError::NotFound) => {
            visitor.flash(visitor.cat().t("admin.content_gone").into()).await?;
            Ok(visitor.redirect("/admin/reports"))
        }
        Err(e) => Err(e.into()),
    }
}
