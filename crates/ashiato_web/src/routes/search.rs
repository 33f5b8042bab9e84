//! `/search?q=`: members by nickname.

use actix_web::HttpResponse;
use ashiato_core::content::clean_search;
use ashiato_render::page::{
    Block, Field, FieldKind, Form, Inline, InputMode, Method, Notice, Page,
};
use ashiato_store::members;
use serde::Deserialize;

use crate::error::WebError;
use crate::form::SjisQuery;
use crate::routes::{PAGE_SIZE, member_link, menu, pager};
use crate::visitor::Member;

/// Query parameters.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u32>,
}

/// Members whose nickname contains the query, except those who opted out and anyone in a block
/// with the reader.
pub async fn search(
    Member { visitor, id: me, .. }: Member,
    query: SjisQuery<SearchQuery>,
) -> Result<HttpResponse, WebError> {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("search.title"));
    let cleaned = clean_search(&query.q);
    // An over-long query says so instead of showing an empty result.
    if let Err(p) = cleaned {
        page.push(Block::Notice(Notice::Error(crate::routes::problem_message(cat, p))));
    }
    page.push(Block::Form(Form {
        action: "/search".into(),
        method: Method::Get,
        fields: vec![Field::new(
            "q",
            cat.t("search.label"),
            FieldKind::Text {
                value: query.q.clone(),
                max_chars: Some(ashiato_core::content::SEARCH_MAX),
                mode: InputMode::Hiragana,
            },
        )],
        submit: cat.t("search.submit").into(),
        multipart: false,
    }));
    if let Ok(Some(q)) = cleaned {
        let number = i64::from(query.page.unwrap_or(1).max(1));
        let offset = (number - 1) * PAGE_SIZE;
        let q_for_store = q.clone();
        let found = visitor
            .state()
            .run(move |c| members::search(c, me, &q_for_store, PAGE_SIZE + 1, offset))
            .await?;
        let has_more = found.len() > usize::try_from(PAGE_SIZE).unwrap_or(20);
        if found.is_empty() {
            page.push(Block::Paragraph(vec![Inline::text(cat.t("search.none"))]));
        } else {
            page.push(Block::List(
                found
                    .iter()
                    .take(usize::try_from(PAGE_SIZE).unwrap_or(20))
                    .map(|m| vec![member_link(m)])
                    .collect(),
            ));
        }
        let path = format!("/search?q={}", visitor.query_value(&q));
        if let Some(p) = pager(cat, &path, number, has_more) {
            page.push(p);
        }
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}
