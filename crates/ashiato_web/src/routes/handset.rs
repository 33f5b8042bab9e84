//! `/handset`: what the site thinks the reader's phone is.

use actix_web::HttpResponse;
use ashiato_render::page::{Block, Inline, Page};

use crate::error::WebError;
use crate::routes::menu;
use crate::visitor::Visitor;

/// Shows the detected profile in words, so a member can tell us when we got their phone wrong.
pub async fn show(visitor: Visitor) -> Result<HttpResponse, WebError> {
    let cat = visitor.cat();
    let h = &visitor.handset;
    let yes_no = |b: bool| cat.t(if b { "handset.yes" } else { "handset.no" }).to_owned();
    let row = |key: &str, value: String| {
        vec![Inline::Strong(cat.t(key).to_owned()), Inline::text(format!(": {value}"))]
    };
    let mut rows = vec![
        row("handset.carrier", h.carrier.as_str().to_owned()),
        row(
            "handset.model",
            h.model
                .as_ref()
                .map_or_else(|| cat.t("handset.unknown").to_owned(), |m| m.as_str().to_owned()),
        ),
        row("handset.browser", h.browser.name().to_owned()),
        row("handset.markup", format!("{:?}", h.doctype)),
        row(
            "handset.charset",
            match h.charset {
                ashiato_handset::Charset::ShiftJis => "Shift_JIS".to_owned(),
                ashiato_handset::Charset::Utf8 => "UTF-8".to_owned(),
            },
        ),
        row("handset.cookies", yes_no(h.cookies)),
        row("handset.budget", cat.f("handset.bytes", &[("n", &h.page_budget_bytes.to_string())])),
        row(
            "handset.images",
            h.image_formats.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(" "),
        ),
        row("handset.emoji", format!("{:?}", h.emoji)),
    ];
    if let Some(s) = &h.screen {
        rows.insert(3, row("handset.screen", format!("{}×{}", s.width, s.height)));
    }
    let subscriber = if h.subscriber_id_trusted {
        cat.t("handset.id_trusted")
    } else if h.untrusted_id_presented() {
        cat.t("handset.id_untrusted")
    } else {
        cat.t("handset.id_none")
    };
    rows.push(row("handset.subscriber_id", subscriber.to_owned()));
    let mut page = Page::new(cat.t("handset.title"));
    page.push(Block::List(rows));
    page.menu = menu(cat, visitor.member.is_some());
    Ok(visitor.page(&page))
}
