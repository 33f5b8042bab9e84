//! The writers: one page part, in one dialect, straight into a [`PageEncoder`].
//!
//! Every piece of a page (prologue, flash, each block, the tail with the menu) is written by
//! one method whose output does not depend on its neighbours, so the layout code can measure
//! pieces separately and add the sizes up (see `render.rs`). Markup strings here are ASCII;
//! all text goes through [`PageEncoder::text`] or [`PageEncoder::attr`], which escape and
//! encode in one step.

use std::borrow::Cow;

use ashiato_charset::{PageEncoder, VoidTags};
use unicode_segmentation::UnicodeSegmentation;

use crate::context::{CSRF_FIELD, RenderContext};
use crate::i18n::Catalog;
use crate::page::{
    Block, Field, FieldKind, Form, Image, Inline, InputMode, Link, MenuItem, Method, Notice, Pager,
    Target as LinkTarget,
};
use crate::target::{Dialect, Target};
use crate::url::{LinkParams, SESSION_PARAM};

const STYLE: &str = "body{font-family:sans-serif;max-width:40em;margin:0 auto;padding:0 .6em;line-height:1.5}\
header{border-bottom:2px solid #e60;padding:.3em 0}header a{color:#e60;font-weight:bold;text-decoration:none}\
h1{font-size:1.3em}h2{font-size:1.1em;border-left:4px solid #e60;padding-left:.3em}\
.flash{background:#efe;padding:.3em}.error{background:#fee;color:#900;padding:.3em}\
label{display:block;margin-top:.5em}input,textarea,select{max-width:100%;font-size:1em}\
nav ul{list-style:none;padding:0;border-top:1px solid #ccc}nav li{display:inline-block;margin-right:1em}";

/// The docomo DOCTYPE system identifier, the same for every i-XHTML level (keitai.md §6).
const IXHTML_SYSTEM: &str = "i-xhtml_4ja_10.dtd";

/// Writes pieces of a page for one target.
pub(crate) struct Writer<'a> {
    pub(crate) enc: PageEncoder,
    t: &'a Target,
    ctx: &'a RenderContext<'a>,
    cat: &'static Catalog,
    origin: Option<&'a str>,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(
        t: &'a Target,
        ctx: &'a RenderContext<'a>,
        origin: Option<&'a str>,
        capacity: usize,
    ) -> Self {
        let void = if t.dialect.is_xhtml() { VoidTags::Xhtml } else { VoidTags::Html };
        Writer {
            enc: PageEncoder::with_capacity(t.output, capacity).void_tags(void),
            t,
            ctx,
            cat: Catalog::get(ctx.lang),
            origin,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.enc.len()
    }

    fn m(&mut self, markup: &str) -> &mut Self {
        self.enc.markup(markup);
        self
    }

    fn text(&mut self, text: &str) -> &mut Self {
        let text = self.clean(text);
        self.enc.text(&text);
        self
    }

    fn attr(&mut self, value: &str) -> &mut Self {
        let value = self.clean(value);
        self.enc.attr(&value);
        self
    }

    /// Text fallbacks for emoji where the handset has none; U+FFFE/U+FFFF (not XML
    /// characters, and an NCR to them is not well-formed either) become U+FFFD (〓).
    fn clean<'s>(&self, s: &'s str) -> Cow<'s, str> {
        let mut s = Cow::Borrowed(s);
        if s.contains(['\u{FFFE}', '\u{FFFF}']) {
            s = Cow::Owned(s.replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}"));
        }
        if self.t.emoji_as_text && !s.is_ascii() {
            let mut out = String::with_capacity(s.len());
            let mut changed = false;
            for g in s.graphemes(true) {
                // Emoji with a text fallback become it (`[霧]`); others stay and are written as
                // an NCR, which a Unicode-capable browser may still show.
                match ashiato_charset::emoji::by_unicode(g).and_then(|e| e.text_fallback()) {
                    Some(text) if !g.is_ascii() => {
                        out.push_str(text);
                        changed = true;
                    }
                    _ => out.push_str(g),
                }
            }
            if changed {
                s = Cow::Owned(out);
            }
        }
        s
    }

    /// Closes a void element: ` />` in XHTML, `>` in HTML.
    fn close_void(&mut self) -> &mut Self {
        if self.t.dialect.is_xhtml() { self.m(" />") } else { self.m(">") }
    }

    fn br(&mut self) -> &mut Self {
        if self.t.dialect.is_xhtml() { self.m("<br />") } else { self.m("<br>") }
    }

    fn hr(&mut self) -> &mut Self {
        if self.t.dialect.is_xhtml() { self.m("<hr />") } else { self.m("<hr>") }
    }

    /// ` checked="checked"` / ` checked` and the like.
    fn bool_attr(&mut self, name: &str) -> &mut Self {
        self.m(" ").m(name);
        if self.t.dialect.is_xhtml() {
            self.m("=\"").m(name).m("\"");
        }
        self
    }

    // -- Page frame ---------------------------------------------------------------------------

    /// Everything before the content: declarations, head, the title heading.
    pub(crate) fn prologue(&mut self, title: &str) {
        let site = self.cat.t("site.name");
        let t = self.t;
        let lang = self.ctx.lang;
        match t.dialect {
            Dialect::Html5 => {
                self.m("<!DOCTYPE html>\n<html lang=\"").m(lang.tag());
                self.m("\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
                self.text(title)
                    .m(" - ")
                    .text(site)
                    .m("</title><style>")
                    .m(STYLE)
                    .m("</style></head><body><header><a href=\"");
                let home = self.ctx.links.apply("/");
                self.attr(&home)
                    .m("\">")
                    .text(site)
                    .m("</a></header><main><h1>")
                    .text(title)
                    .m("</h1>");
            }
            Dialect::Hdml => {
                // One card; the notice itself is written by `hdml_notice`.
                self.m("<HDML VERSION=3.0 PUBLIC=TRUE>\n<DISPLAY>\n").text(site).m("<BR>\n");
            }
            Dialect::Chtml => {
                self.m("<html><head><meta http-equiv=\"Content-Type\" content=\"")
                    .m(t.content_type());
                self.m("\"><title>")
                    .text(title)
                    .m("</title></head><body><h1>")
                    .text(title)
                    .m("</h1>");
            }
            Dialect::IXhtml | Dialect::XhtmlMp | Dialect::SoftbankXhtml => {
                self.m("<?xml version=\"1.0\" encoding=\"")
                    .m(t.charset_label())
                    .m("\"?>\n<!DOCTYPE html PUBLIC \"");
                match t.dialect {
                    Dialect::IXhtml => {
                        self.m("-//i-mode group (ja)//DTD XHTML i-XHTML(Locale/Ver.=ja/")
                            .m(t.ixhtml_level);
                        self.m(") 1.0//EN\" \"").m(IXHTML_SYSTEM);
                    }
                    Dialect::XhtmlMp => {
                        self.m("-//OPENWAVE//DTD XHTML 1.0//EN\" \"http://www.openwave.com/DTD/xhtml-basic.dtd");
                    }
                    _ => {
                        self.m(
                            "-//J-PHONE//DTD XHTML Basic 1.0 Plus//EN\" \"xhtml-basic10-plus.dtd",
                        );
                    }
                }
                self.m("\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta http-equiv=\"Content-Type\" content=\"");
                self.m(t.content_type())
                    .m("\" /><title>")
                    .text(title)
                    .m("</title></head><body><h1>");
                self.text(title).m("</h1>");
            }
        }
    }

    /// The one-shot message under the title.
    pub(crate) fn flash(&mut self, flash: &str) {
        match self.t.dialect {
            Dialect::Html5 => {
                self.m("<p class=\"flash\" role=\"status\">").text(flash).m("</p>");
            }
            Dialect::Hdml => {
                self.text(flash).m("<BR>\n");
            }
            _ => {
                self.m("<p>").text(flash).m("</p>");
            }
        }
    }

    /// Everything after the content: end of main, the menu (`items` already shrunk), closing
    /// tags.
    pub(crate) fn tail(&mut self, items: &[MenuItem]) {
        match self.t.dialect {
            Dialect::Html5 => {
                self.m("</main>");
                if !items.is_empty() {
                    self.m("<nav><ul>");
                    for item in items {
                        self.m("<li>");
                        self.menu_link(item);
                        self.m("</li>");
                    }
                    self.m("</ul></nav>");
                }
                self.m("</body></html>\n");
            }
            Dialect::Hdml => {
                self.m("</DISPLAY>\n</HDML>\n");
            }
            _ => {
                if !items.is_empty() {
                    self.hr().m("<div>");
                    for (n, item) in items.iter().enumerate() {
                        if n > 0 {
                            self.br();
                        }
                        self.menu_link(item);
                    }
                    self.m("</div>");
                }
                self.m("</body></html>");
            }
        }
    }

    /// A menu entry: the same anchor as [`Writer::link`] for an internal path, written without
    /// building a `Link` (menus are on every page: their copies were a tenth of a keitai
    /// page's allocations).
    fn menu_link(&mut self, item: &MenuItem) {
        let key = item.key.filter(|_| self.t.accesskeys());
        let href = self.internal_href(&item.path, key.is_some());
        self.open_anchor(&href, key);
        if let Some(k) = item.key {
            let label = self.key_label(k);
            self.text(&label);
        }
        self.text(&item.text).m("</a>");
    }

    /// How a number key is shown before a menu entry: a keycap emoji where the carrier has
    /// them (`1⃣`), else the key and a space.
    fn key_label(&self, k: char) -> String {
        if self.t.keycaps && (k.is_ascii_digit() || k == '#') {
            format!("{k}\u{20E3}")
        } else {
            format!("{k} ")
        }
    }

    // -- Blocks -------------------------------------------------------------------------------

    pub(crate) fn block(&mut self, block: &Block) {
        let html5 = self.t.dialect == Dialect::Html5;
        match block {
            Block::Heading(h) => {
                self.m("<h2>").text(h).m("</h2>");
            }
            Block::Paragraph(inlines) => {
                self.m("<p>");
                for i in inlines {
                    self.inline(i);
                }
                self.m("</p>");
            }
            Block::Text(text) => {
                self.m("<p>");
                for (n, line) in text.split('\n').enumerate() {
                    if n > 0 {
                        self.br();
                    }
                    self.text(line.strip_suffix('\r').unwrap_or(line));
                }
                self.m("</p>");
            }
            Block::List(items) => {
                if items.is_empty() {
                    return;
                }
                self.m("<ul>");
                for item in items {
                    self.m("<li>");
                    for i in item {
                        self.inline(i);
                    }
                    self.m("</li>");
                }
                self.m("</ul>");
            }
            Block::Separator => {
                self.hr();
            }
            Block::Notice(Notice::Info(t)) => {
                if html5 {
                    self.m("<p class=\"flash\" role=\"status\">").text(t).m("</p>");
                } else {
                    self.m("<p>").text(t).m("</p>");
                }
            }
            Block::Notice(Notice::Error(t)) => {
                if html5 {
                    self.m("<p class=\"error\" role=\"alert\">").text(t).m("</p>");
                } else if self.t.dialect.is_xhtml() {
                    self.m("<p style=\"color:#c00\">").text(t).m("</p>");
                } else {
                    self.m("<p>").text(t).m("</p>");
                }
            }
            Block::Image(img) => self.image(img),
            Block::Markup(markup) => {
                // A div, so that text and inline elements at the fragment's top level are
                // valid where the body may hold only blocks (XHTML Basic, XHTML-MP).
                self.m("<div>").m(markup).m("</div>");
            }
            Block::Pager(p) => self.pager(p),
            Block::Form(form) => {
                if html5 {
                    self.form_html5(form);
                } else {
                    self.form_keitai(form);
                }
            }
        }
    }

    fn inline(&mut self, inline: &Inline) {
        match inline {
            Inline::Text(t) => {
                self.text(t);
            }
            Inline::Strong(t) => {
                if self.t.dialect == Dialect::Chtml {
                    // Not in the compact HTML element set.
                    self.text(t);
                } else {
                    self.m("<strong>").text(t).m("</strong>");
                }
            }
            Inline::Break => {
                self.br();
            }
            Inline::Link(link) => self.link(link),
        }
    }

    /// The href of an internal path: session parameters, and absolute for docomo access keys.
    fn internal_href(&self, path: &str, accesskey: bool) -> String {
        let href = self.ctx.links.apply(path);
        match self.origin {
            Some(origin)
                if accesskey && self.t.absolute_accesskey_links && href.starts_with('/') =>
            {
                format!("{}{href}", origin.trim_end_matches('/'))
            }
            _ => href,
        }
    }

    fn link(&mut self, link: &Link) {
        let key = link.accesskey.filter(|_| self.t.accesskeys());
        let href = match &link.target {
            LinkTarget::Internal(path) => self.internal_href(path, key.is_some()),
            LinkTarget::External(url) => (self.ctx.jump)(url),
            LinkTarget::Mailto(address) => format!("mailto:{address}"),
        };
        self.open_anchor(&href, key);
        self.text(&link.text).m("</a>");
    }

    /// `<a href="…" accesskey="…">`: `key` is the access key the dialect shows, if any.
    fn open_anchor(&mut self, href: &str, key: Option<char>) {
        self.m("<a href=\"").attr(href).m("\"");
        if let Some(k) = key {
            let mut buf = [0u8; 4];
            self.m(" accesskey=\"").attr(k.encode_utf8(&mut buf)).m("\"");
        }
        self.m(">");
    }

    fn image(&mut self, img: &Image) {
        // Images need the session where cookies are missing, never guid=ON.
        let src =
            LinkParams { session: self.ctx.links.session.clone(), guid_on: false }.apply(&img.src);
        self.m(if self.t.dialect == Dialect::Html5 { "<p>" } else { "<div>" });
        self.m("<img src=\"").attr(&src).m("\" alt=\"").attr(&img.alt).m("\"");
        if let Some(w) = img.width {
            self.m(" width=\"").m(&w.to_string()).m("\"");
        }
        if let Some(h) = img.height {
            self.m(" height=\"").m(&h.to_string()).m("\"");
        }
        self.close_void();
        self.m(if self.t.dialect == Dialect::Html5 { "</p>" } else { "</div>" });
    }

    fn pager(&mut self, p: &Pager) {
        let html5 = self.t.dialect == Dialect::Html5;
        self.m(if html5 { "<p class=\"pager\">" } else { "<div>" });
        let mut first = true;
        if let Some(prev) = &p.prev {
            let text = if html5 {
                self.cat.t("pager.prev").to_owned()
            } else {
                format!("*{}", self.cat.t("pager.prev"))
            };
            self.link(&Link {
                target: LinkTarget::Internal(prev.clone()),
                text,
                accesskey: Some('*'),
            });
            first = false;
        }
        if let Some((n, total)) = p.position {
            if !first {
                self.m(" ");
            }
            let pos = self
                .cat
                .f("pager.position", &[("n", &n.to_string()), ("total", &total.to_string())]);
            self.text(&pos);
            first = false;
        }
        if let Some(next) = &p.next {
            if !first {
                self.m(" ");
            }
            let text = if html5 {
                self.cat.t("pager.next").to_owned()
            } else {
                format!("{}{}", self.key_label('#').trim_end(), self.cat.t("pager.next"))
            };
            self.link(&Link {
                target: LinkTarget::Internal(next.clone()),
                text,
                accesskey: Some('#'),
            });
        }
        self.m(if html5 { "</p>" } else { "</div>" });
    }

    // -- Forms --------------------------------------------------------------------------------

    /// Action URL, hidden session fields: the parts every dialect shares.
    fn form_open(&mut self, form: &Form) {
        // POST: session and guid=ON in the action (read from the query) and the session again as
        // a hidden field. GET: the browser replaces the action's query with the fields, so both
        // travel as hidden fields (keitai.md §4, §5).
        let action = match form.method {
            Method::Post => self.ctx.links.apply(&form.action),
            Method::Get => form.action.clone(),
        };
        self.m("<form action=\"").attr(&action).m("\" method=\"");
        self.m(if form.method == Method::Post { "post" } else { "get" }).m("\"");
        // i-mode cHTML has no file upload (photos arrive by mail); the attribute is not in its set.
        if form.multipart && self.t.dialect != Dialect::Chtml {
            self.m(" enctype=\"multipart/form-data\"");
        }
        self.m(">");
    }

    fn form_hidden(&mut self, form: &Form) {
        if form.method == Method::Get && self.ctx.links.guid_on {
            self.hidden("guid", "ON");
        }
        if let Some(token) = self.ctx.links.session.clone() {
            self.hidden(SESSION_PARAM, &token);
        }
        if form.method == Method::Post
            && let Some(csrf) = self.ctx.csrf
        {
            self.hidden(CSRF_FIELD, csrf);
        }
    }

    fn hidden(&mut self, name: &str, value: &str) {
        self.m("<input type=\"hidden\" name=\"").attr(name).m("\" value=\"").attr(value).m("\"");
        self.close_void();
    }

    fn form_keitai(&mut self, form: &Form) {
        self.form_open(form);
        // XHTML forms hold block content only.
        self.m("<div>");
        for field in &form.fields {
            self.field_keitai(field);
        }
        self.form_hidden(form);
        self.m("<input type=\"submit\" value=\"").attr(&form.submit).m("\"");
        self.close_void();
        self.m("</div></form>");
    }

    fn field_keitai(&mut self, field: &Field) {
        if matches!(field.kind, FieldKind::File { .. }) && self.t.dialect == Dialect::Chtml {
            return;
        }
        if let FieldKind::Hidden(v) = &field.kind {
            self.hidden(&field.name, v);
            return;
        }
        let checkbox = matches!(field.kind, FieldKind::Checkbox(_));
        if let (Some(label), false) = (&field.label, checkbox) {
            self.text(label).br();
        }
        if let Some(err) = &field.error {
            if self.t.dialect.is_xhtml() {
                self.m("<span style=\"color:#c00\">").text(err).m("</span>");
            } else {
                self.text(err);
            }
            self.br();
        }
        match &field.kind {
            FieldKind::Text { value, max_chars, mode } => {
                self.input_open("text", &field.name);
                self.m(" value=\"").attr(value).m("\"");
                if let Some(n) = max_chars {
                    self.m(" maxlength=\"").m(&n.to_string()).m("\"");
                }
                self.input_mode(*mode);
                self.close_void();
            }
            FieldKind::Email(value) => {
                self.input_open("text", &field.name);
                self.m(" value=\"").attr(value).m("\"");
                self.input_mode(InputMode::Alphabet);
                self.close_void();
            }
            FieldKind::Password => {
                self.input_open("password", &field.name);
                self.input_mode(InputMode::Alphabet);
                self.close_void();
            }
            FieldKind::TextArea { value, rows } => {
                self.m("<textarea name=\"")
                    .attr(&field.name)
                    .m("\" rows=\"")
                    .m(&rows.max(&1).to_string());
                self.m("\" cols=\"20\"");
                self.input_mode(InputMode::Hiragana);
                self.m(">").attr(value).m("</textarea>");
            }
            FieldKind::Select { options, selected } => {
                if options.is_empty() {
                    return;
                }
                self.m("<select name=\"").attr(&field.name).m("\">");
                for (value, label) in options {
                    self.m("<option value=\"").attr(value).m("\"");
                    if value == selected {
                        self.bool_attr("selected");
                    }
                    self.m(">").attr(label).m("</option>");
                }
                self.m("</select>");
            }
            FieldKind::Checkbox(checked) => {
                self.input_open("checkbox", &field.name);
                self.m(" value=\"1\"");
                if *checked {
                    self.bool_attr("checked");
                }
                self.close_void();
                if let Some(label) = &field.label {
                    self.text(label);
                }
            }
            FieldKind::File { accept } => {
                self.input_open("file", &field.name);
                let _ = accept; // XHTML Basic has no `accept`; the server checks the bytes anyway.
                self.close_void();
            }
            FieldKind::Hidden(_) => return,
        }
        self.br();
    }

    fn input_open(&mut self, ty: &str, name: &str) {
        self.m("<input type=\"").m(ty).m("\" name=\"").attr(name).m("\"");
    }

    /// Input-mode attributes as the handset reads them (keitai.md §6).
    fn input_mode(&mut self, mode: InputMode) {
        let input = self.t.input;
        if input.istyle {
            let n = match mode {
                InputMode::Hiragana => "1",
                InputMode::Katakana => "2",
                InputMode::Alphabet => "3",
                InputMode::Numeric => "4",
            };
            self.m(" istyle=\"").m(n).m("\"");
        }
        if input.format {
            let f = match mode {
                InputMode::Hiragana | InputMode::Katakana => "*M",
                InputMode::Alphabet => "*m",
                InputMode::Numeric => "*N",
            };
            self.m(" format=\"").m(f).m("\"");
        }
        if input.mode {
            let m = match mode {
                InputMode::Hiragana => "hiragana",
                InputMode::Katakana => "hankakukana",
                InputMode::Alphabet => "alphabet",
                InputMode::Numeric => "numeric",
            };
            self.m(" mode=\"").m(m).m("\"");
        }
        if input.wap_input_format {
            let w = match mode {
                InputMode::Hiragana => "h",
                InputMode::Katakana => "hk",
                InputMode::Alphabet => "en",
                InputMode::Numeric => "n",
            };
            self.m(" style=\"-wap-input-format:&quot;*&lt;ja:").m(w).m("&gt;&quot;\"");
        }
    }

    fn form_html5(&mut self, form: &Form) {
        self.form_open(form);
        for (n, field) in form.fields.iter().enumerate() {
            self.field_html5(field, n);
        }
        self.form_hidden(form);
        self.m("<p><button type=\"submit\">").text(&form.submit).m("</button></p></form>");
    }

    fn field_html5(&mut self, field: &Field, n: usize) {
        if let FieldKind::Hidden(v) = &field.kind {
            self.hidden(&field.name, v);
            return;
        }
        let id = format!("f{n}-{}", field.name);
        if let Some(label) = &field.label {
            self.m("<label for=\"").attr(&id).m("\">").text(label).m("</label>");
        }
        if let Some(err) = &field.error {
            self.m("<span class=\"error\" role=\"alert\">").text(err).m("</span><br>");
        }
        let open = |w: &mut Self, ty: &str| {
            w.m("<input type=\"")
                .m(ty)
                .m("\" id=\"")
                .attr(&id)
                .m("\" name=\"")
                .attr(&field.name)
                .m("\"");
        };
        match &field.kind {
            FieldKind::Text { value, max_chars, mode } => {
                open(self, "text");
                self.m(" value=\"").attr(value).m("\"");
                if let Some(m) = max_chars {
                    self.m(" maxlength=\"").m(&m.to_string()).m("\"");
                }
                if *mode == InputMode::Numeric {
                    self.m(" inputmode=\"numeric\"");
                }
                self.m(">");
            }
            FieldKind::Email(value) => {
                open(self, "email");
                self.m(" autocomplete=\"email\" value=\"").attr(value).m("\">");
            }
            FieldKind::Password => {
                open(self, "password");
                self.m(">");
            }
            FieldKind::TextArea { value, rows } => {
                self.m("<textarea id=\"").attr(&id).m("\" name=\"").attr(&field.name);
                self.m("\" rows=\"")
                    .m(&rows.to_string())
                    .m("\" cols=\"40\">")
                    .attr(value)
                    .m("</textarea>");
            }
            FieldKind::Select { options, selected } => {
                self.m("<select id=\"").attr(&id).m("\" name=\"").attr(&field.name).m("\">");
                for (value, label) in options {
                    self.m("<option value=\"").attr(value).m("\"");
                    if value == selected {
                        self.m(" selected");
                    }
                    self.m(">").attr(label).m("</option>");
                }
                self.m("</select>");
            }
            FieldKind::Checkbox(checked) => {
                open(self, "checkbox");
                self.m(" value=\"1\"");
                if *checked {
                    self.m(" checked");
                }
                self.m(">");
            }
            FieldKind::File { accept } => {
                open(self, "file");
                self.m(" accept=\"").attr(accept).m("\">");
            }
            FieldKind::Hidden(_) => {}
        }
    }

    // -- HDML ---------------------------------------------------------------------------------

    /// The body of the "unsupported handset" card for HDML browsers.
    pub(crate) fn hdml_notice(&mut self) {
        let text = self.cat.t("unsupported.body");
        self.text(text).m("<BR>\n");
    }
}
