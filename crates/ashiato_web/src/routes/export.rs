//! `/settings/export`: the member downloads everything they wrote as one archive (PC and
//! smartphone: a keitai cannot keep a file of this size, so its page says where to go).

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use ashiato_core::{Invalid, Problem};
use ashiato_render::page::{Block, Field, FieldKind, Inline, Notice, Page};
use ashiato_render::target::Dialect;
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{MemberPosted, SjisForm};
use crate::routes::settings::current_password_ok;
use crate::routes::{attach_errors, menu, post_form};
use crate::visitor::{Member, Visitor};

/// Fields of the export form.
#[derive(Debug, Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    password: String,
}

/// Whether this handset can download and keep the archive (PCs and smartphones).
fn can_download(visitor: &Visitor) -> bool {
    visitor.target.dialect == Dialect::Html5
}

fn export_page(visitor: &Visitor, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("export.title"));
    page.push(Block::Paragraph(vec![Inline::text(cat.t("export.explain"))]));
    if can_download(visitor) {
        let mut fields = vec![Field::new("password", cat.t("field.password"), FieldKind::Password)];
        attach_errors(cat, &mut fields, errors);
        page.push(post_form("/settings/export", fields, cat.t("export.submit")));
    } else {
        page.push(Block::Notice(Notice::Info(cat.t("export.use_pc").into())));
    }
    page.push(Block::Paragraph(vec![Inline::link("/settings", cat.t("settings.title"))]));
    page.menu = menu(cat, true);
    page
}

/// `GET /settings/export`.
pub async fn show(Member { mut visitor, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    Ok(visitor.page(&export_page(&visitor, &[])))
}

/// `POST /settings/export`: with the password (also after an easy login: the archive holds
/// every private message), the archive as a download.
pub async fn download(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<ExportForm>,
    >,
) -> Result<HttpResponse, WebError> {
    if !can_download(&visitor) {
        return Ok(visitor.page_with_status(&export_page(&visitor, &[]), StatusCode::FORBIDDEN));
    }
    if !current_password_ok(&visitor, form.password.clone()).await? {
        let errors = [Invalid { field: "password", problem: Problem::BadCredentials }];
        let page = export_page(&visitor, &errors);
        return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let bytes = ashiato_app::export::build(visitor.state(), me).await?;
    let name = ashiato_app::export::file_name(ashiato_app::now());
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/x-tar"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}
