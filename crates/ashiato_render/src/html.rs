//! HTML5 in UTF-8, for smartphones and PCs: the same content and links as the keitai dialects,
//! responsive, light (one small inline style sheet, no scripts) and accessible (labels, `lang`,
//! landmarks).

pub use crate::context::{CSRF_FIELD, RenderContext};
use crate::page::Page;
use crate::render::Location;
use crate::target::Target;

/// Writes a page as one HTML5 document (no byte budget, never split). Kept for callers of
/// the first API; [`crate::render()`] with [`Target::html5`] is the budgeted equivalent.
pub fn render(page: &Page, ctx: &RenderContext<'_>) -> String {
    let mut target = Target::html5();
    target.budget = usize::MAX;
    let out = crate::render::render(page, ctx, &target, &Location::new("/"));
    String::from_utf8(out.body)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::page::{Block, Field, FieldKind, Form, Inline, Link, MenuItem, Method};
    use crate::url::LinkParams;

    fn ctx<'a>(links: LinkParams, jump: &'a dyn Fn(&str) -> String) -> RenderContext<'a> {
        RenderContext { lang: Lang::Ja, links, csrf: Some("CSRF123"), jump }
    }

    #[test]
    fn member_text_is_escaped_everywhere() {
        let evil = "<script>alert(\"x\")</script>&'";
        let mut page = Page::new(evil);
        page.push(Block::Text(format!("{evil}\n2行目")));
        page.push(Block::Paragraph(vec![Inline::link("/m/1", evil)]));
        page.flash = Some(evil.into());
        let jump = |u: &str| format!("/jump?u={u}");
        let html = render(&page, &ctx(LinkParams::default(), &jump));
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;<br>2行目")
        );
    }

    #[test]
    fn cookieless_links_and_forms_carry_the_session_and_post_forms_the_csrf_token() {
        let mut page = Page::new("t");
        page.push(Block::Paragraph(vec![Inline::link("/home", "home")]));
        page.push(Block::Paragraph(vec![Inline::Link(Link::external(
            "http://example.com/?a=1",
            "ext",
        ))]));
        page.push(Block::Form(Form {
            action: "/login".into(),
            method: Method::Post,
            fields: vec![Field::new("email", "E-mail", FieldKind::Email("a@b.jp".into()))],
            submit: "go".into(),
            multipart: false,
        }));
        page.menu.push(MenuItem { key: Some('0'), text: "top".into(), path: "/".into() });
        let jump = |u: &str| format!("/jump?to={}", crate::url::encode_query_value(u));
        let links = LinkParams { session: Some("SeSs".into()), guid_on: true };
        let html = render(&page, &ctx(links, &jump));
        assert!(html.contains("href=\"/home?guid=ON&amp;ksid=SeSs\""), "{html}");
        assert!(html.contains("action=\"/login?guid=ON&amp;ksid=SeSs\""), "{html}");
        assert!(html.contains("name=\"ksid\" value=\"SeSs\""));
        assert!(html.contains("name=\"csrf\" value=\"CSRF123\""));
        assert!(html.contains("href=\"/jump?to=http%3A%2F%2Fexample.com%2F%3Fa%3D1\""), "{html}");
        assert!(
            !html.contains("href=\"http://example.com"),
            "outbound link not sent through /jump"
        );
        assert!(html.contains("accesskey=\"0\">0 top</a>"));
    }
}
