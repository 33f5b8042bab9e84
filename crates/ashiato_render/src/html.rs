//! HTML5 in UTF-8, for smartphones and PCs: the same content and links as the keitai dialects,
//! responsive, light (one small inline style sheet, no scripts) and accessible (labels, `lang`,
//! landmarks).

use crate::i18n::{Catalog, Lang};
use crate::page::{Block, Field, FieldKind, Form, Inline, Link, Method, Notice, Page, Target};
use crate::url::LinkParams;

/// What a renderer needs to know besides the page.
pub struct RenderContext<'a> {
    /// Interface language.
    pub lang: Lang,
    /// Parameters every internal link carries.
    pub links: LinkParams,
    /// CSRF token added to every POST form.
    pub csrf: Option<&'a str>,
    /// Builds the signed `/jump` URL for a link that leaves the site.
    pub jump: &'a dyn Fn(&str) -> String,
}

/// The name of the CSRF form field.
pub const CSRF_FIELD: &str = "csrf";

const STYLE: &str = "body{font-family:sans-serif;max-width:40em;margin:0 auto;padding:0 .6em;line-height:1.5}\
header{border-bottom:2px solid #e60;padding:.3em 0}header a{color:#e60;font-weight:bold;text-decoration:none}\
h1{font-size:1.3em}h2{font-size:1.1em;border-left:4px solid #e60;padding-left:.3em}\
.flash{background:#efe;padding:.3em}.error{background:#fee;color:#900;padding:.3em}\
label{display:block;margin-top:.5em}input,textarea,select{max-width:100%;font-size:1em}\
nav ul{list-style:none;padding:0;border-top:1px solid #ccc}nav li{display:inline-block;margin-right:1em}";

/// Writes a page as an HTML5 document.
pub fn render(page: &Page, ctx: &RenderContext<'_>) -> String {
    let cat = Catalog::get(ctx.lang);
    let mut out = String::with_capacity(4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"");
    out.push_str(ctx.lang.tag());
    out.push_str("\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    escape_into(&mut out, &page.title);
    out.push_str(" - ");
    escape_into(&mut out, cat.t("site.name"));
    out.push_str("</title><style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body><header><a href=\"");
    escape_into(&mut out, &ctx.links.apply("/"));
    out.push_str("\">");
    escape_into(&mut out, cat.t("site.name"));
    out.push_str("</a></header><main><h1>");
    escape_into(&mut out, &page.title);
    out.push_str("</h1>");
    if let Some(flash) = &page.flash {
        out.push_str("<p class=\"flash\" role=\"status\">");
        escape_into(&mut out, flash);
        out.push_str("</p>");
    }
    for block in &page.blocks {
        write_block(&mut out, block, ctx);
    }
    out.push_str("</main>");
    if !page.menu.is_empty() {
        out.push_str("<nav><ul>");
        for item in &page.menu {
            out.push_str("<li><a href=\"");
            escape_into(&mut out, &ctx.links.apply(&item.path));
            out.push('"');
            if let Some(k) = item.key {
                out.push_str(" accesskey=\"");
                out.push(k);
                out.push('"');
            }
            out.push('>');
            if let Some(k) = item.key {
                out.push(k);
                out.push(' ');
            }
            escape_into(&mut out, &item.text);
            out.push_str("</a></li>");
        }
        out.push_str("</ul></nav>");
    }
    out.push_str("</body></html>\n");
    out
}

fn write_block(out: &mut String, block: &Block, ctx: &RenderContext<'_>) {
    match block {
        Block::Heading(h) => {
            out.push_str("<h2>");
            escape_into(out, h);
            out.push_str("</h2>");
        }
        Block::Paragraph(inlines) => {
            out.push_str("<p>");
            for i in inlines {
                write_inline(out, i, ctx);
            }
            out.push_str("</p>");
        }
        Block::Text(text) => {
            out.push_str("<p>");
            for (n, line) in text.split('\n').enumerate() {
                if n > 0 {
                    out.push_str("<br>");
                }
                escape_into(out, line);
            }
            out.push_str("</p>");
        }
        Block::List(items) => {
            out.push_str("<ul>");
            for item in items {
                out.push_str("<li>");
                for i in item {
                    write_inline(out, i, ctx);
                }
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        Block::Separator => out.push_str("<hr>"),
        Block::Notice(Notice::Info(t)) => {
            out.push_str("<p class=\"flash\" role=\"status\">");
            escape_into(out, t);
            out.push_str("</p>");
        }
        Block::Notice(Notice::Error(t)) => {
            out.push_str("<p class=\"error\" role=\"alert\">");
            escape_into(out, t);
            out.push_str("</p>");
        }
        Block::Form(form) => write_form(out, form, ctx),
    }
}

fn write_inline(out: &mut String, inline: &Inline, ctx: &RenderContext<'_>) {
    match inline {
        Inline::Text(t) => escape_into(out, t),
        Inline::Strong(t) => {
            out.push_str("<strong>");
            escape_into(out, t);
            out.push_str("</strong>");
        }
        Inline::Break => out.push_str("<br>"),
        Inline::Link(link) => write_link(out, link, ctx),
    }
}

fn write_link(out: &mut String, link: &Link, ctx: &RenderContext<'_>) {
    let href = match &link.target {
        Target::Internal(path) => ctx.links.apply(path),
        Target::External(url) => (ctx.jump)(url),
    };
    out.push_str("<a href=\"");
    escape_into(out, &href);
    out.push('"');
    if let Some(k) = link.accesskey {
        out.push_str(" accesskey=\"");
        out.push(k);
        out.push('"');
    }
    out.push('>');
    escape_into(out, &link.text);
    out.push_str("</a>");
}

fn write_form(out: &mut String, form: &Form, ctx: &RenderContext<'_>) {
    out.push_str("<form method=\"");
    out.push_str(if form.method == Method::Post { "post" } else { "get" });
    out.push_str("\" action=\"");
    // The session travels in a hidden field, so the action stays clean except for guid=ON.
    let action = LinkParams { session: None, guid_on: ctx.links.guid_on }.apply(&form.action);
    escape_into(out, &action);
    out.push('"');
    if form.multipart {
        out.push_str(" enctype=\"multipart/form-data\"");
    }
    out.push('>');
    for (n, field) in form.fields.iter().enumerate() {
        write_field(out, field, n);
    }
    if let Some(token) = &ctx.links.session {
        hidden(out, crate::url::SESSION_PARAM, token);
    }
    if form.method == Method::Post
        && let Some(csrf) = ctx.csrf
    {
        hidden(out, CSRF_FIELD, csrf);
    }
    out.push_str("<p><button type=\"submit\">");
    escape_into(out, &form.submit);
    out.push_str("</button></p></form>");
}

fn hidden(out: &mut String, name: &str, value: &str) {
    out.push_str("<input type=\"hidden\" name=\"");
    escape_into(out, name);
    out.push_str("\" value=\"");
    escape_into(out, value);
    out.push_str("\">");
}

fn write_field(out: &mut String, field: &Field, n: usize) {
    if let FieldKind::Hidden(v) = &field.kind {
        hidden(out, &field.name, v);
        return;
    }
    let id = format!("f{n}-{}", field.name);
    if let Some(label) = &field.label {
        out.push_str("<label for=\"");
        escape_into(out, &id);
        out.push_str("\">");
        escape_into(out, label);
        out.push_str("</label>");
    }
    if let Some(err) = &field.error {
        out.push_str("<span class=\"error\" role=\"alert\">");
        escape_into(out, err);
        out.push_str("</span><br>");
    }
    let open_input = |out: &mut String, ty: &str| {
        out.push_str("<input type=\"");
        out.push_str(ty);
        out.push_str("\" id=\"");
        escape_into(out, &id);
        out.push_str("\" name=\"");
        escape_into(out, &field.name);
        out.push('"');
    };
    match &field.kind {
        FieldKind::Text { value, max_chars, .. } => {
            open_input(out, "text");
            out.push_str(" value=\"");
            escape_into(out, value);
            out.push('"');
            if let Some(m) = max_chars {
                out.push_str(&format!(" maxlength=\"{m}\""));
            }
            out.push('>');
        }
        FieldKind::Email(value) => {
            open_input(out, "email");
            out.push_str(" autocomplete=\"email\" value=\"");
            escape_into(out, value);
            out.push_str("\">");
        }
        FieldKind::Password => {
            open_input(out, "password");
            out.push('>');
        }
        FieldKind::TextArea { value, rows } => {
            out.push_str("<textarea id=\"");
            escape_into(out, &id);
            out.push_str("\" name=\"");
            escape_into(out, &field.name);
            out.push_str(&format!("\" rows=\"{rows}\" cols=\"40\">"));
            escape_into(out, value);
            out.push_str("</textarea>");
        }
        FieldKind::Select { options, selected } => {
            out.push_str("<select id=\"");
            escape_into(out, &id);
            out.push_str("\" name=\"");
            escape_into(out, &field.name);
            out.push_str("\">");
            for (value, label) in options {
                out.push_str("<option value=\"");
                escape_into(out, value);
                out.push('"');
                if value == selected {
                    out.push_str(" selected");
                }
                out.push('>');
                escape_into(out, label);
                out.push_str("</option>");
            }
            out.push_str("</select>");
        }
        FieldKind::Checkbox(checked) => {
            open_input(out, "checkbox");
            out.push_str(" value=\"1\"");
            if *checked {
                out.push_str(" checked");
            }
            out.push('>');
        }
        FieldKind::Hidden(_) => {}
    }
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
    use crate::page::{Field, MenuItem};

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
        assert!(html.contains("action=\"/login?guid=ON\""), "{html}");
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
