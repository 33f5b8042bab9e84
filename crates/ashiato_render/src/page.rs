//! The page model: everything a handler may say, nothing about how it is written.

/// A whole page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Text for `<title>` and the top heading.
    pub title: String,
    /// A one-shot message from the previous action ("日記を書きました").
    pub flash: Option<String>,
    /// Content, top to bottom.
    pub blocks: Vec<Block>,
    /// Footer menu; items with an access key are reachable with the handset's number keys.
    pub menu: Vec<MenuItem>,
}

impl Page {
    /// A page with a title and nothing else yet.
    pub fn new(title: impl Into<String>) -> Page {
        Page { title: title.into(), ..Page::default() }
    }

    /// Appends a block.
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }
}

/// One piece of page content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A paragraph of inline content.
    Paragraph(Vec<Inline>),
    /// Text a member wrote: line breaks kept, nothing interpreted as markup.
    Text(String),
    /// A list of items.
    List(Vec<Vec<Inline>>),
    /// A horizontal rule.
    Separator,
    /// A form.
    Form(Form),
    /// A message box.
    Notice(Notice),
    /// Markup the caller already made safe for the handset's dialect (an OpenSocial app's page
    /// after the proxy rewrote and sanitised it). Written as is (its non-ASCII text encoded for
    /// the handset, emoji included); never split across parts; dropped when it cannot fit.
    Markup(String),
    /// A picture on a line of its own.
    Image(Image),
    /// Links to the previous and next page of a list the handler pages itself (the renderer
    /// adds its own pager when it splits a long page into parts).
    Pager(Pager),
}

/// A picture. Keitai budgets count markup only: keep the file small (the image pipeline's job).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Internal path of the image (the renderer adds the session token for cookie-less
    /// handsets, never `guid=ON`).
    pub src: String,
    /// Text shown instead of the picture; required by XHTML and read aloud on PCs.
    pub alt: String,
    /// Width in pixels, if known (lets the handset lay out the page before the image loads).
    pub width: Option<u32>,
    /// Height in pixels, if known.
    pub height: Option<u32>,
}

impl Image {
    /// A picture without known dimensions.
    pub fn new(src: impl Into<String>, alt: impl Into<String>) -> Image {
        Image { src: src.into(), alt: alt.into(), width: None, height: None }
    }
}

/// Previous / next links of a paged list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pager {
    /// Internal path of the previous page.
    pub prev: Option<String>,
    /// Internal path of the next page.
    pub next: Option<String>,
    /// Current page and number of pages (1-based), shown between the links.
    pub position: Option<(usize, usize)>,
}

/// A message box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Something went well.
    Info(String),
    /// Something needs the reader's attention (a form error).
    Error(String),
}

/// Inline content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// Emphasised text.
    Strong(String),
    /// A link.
    Link(Link),
    /// A line break.
    Break,
}

impl Inline {
    /// Plain text.
    pub fn text(s: impl Into<String>) -> Inline {
        Inline::Text(s.into())
    }

    /// A link to one of our pages.
    pub fn link(path: impl Into<String>, text: impl Into<String>) -> Inline {
        Inline::Link(Link::internal(path, text))
    }
}

/// A link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Where it goes.
    pub target: Target,
    /// Link text.
    pub text: String,
    /// Number key (0–9, `*`, `#`) that follows the link on a handset.
    pub accesskey: Option<char>,
}

impl Link {
    /// A link to one of our pages (`/m/12`); the renderer adds session and `guid=ON` as needed.
    pub fn internal(path: impl Into<String>, text: impl Into<String>) -> Link {
        Link { target: Target::Internal(path.into()), text: text.into(), accesskey: None }
    }

    /// A `mailto:` link to `address`.
    pub fn mailto(address: impl Into<String>, text: impl Into<String>) -> Link {
        Link { target: Target::Mailto(address.into()), text: text.into(), accesskey: None }
    }

    /// A link that leaves the site; the renderer sends it through `/jump`.
    pub fn external(url: impl Into<String>, text: impl Into<String>) -> Link {
        Link { target: Target::External(url.into()), text: text.into(), accesskey: None }
    }
}

/// A link target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A path on this site, starting with `/`, possibly with a query.
    Internal(String),
    /// An absolute URL elsewhere.
    External(String),
    /// A mail address, written as a plain `mailto:` link (no `/jump`, no session parameters):
    /// tapping it opens the handset's mailer with the address filled in.
    Mailto(String),
}

/// A footer menu entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuItem {
    /// Number key, shown before the text as on mixi's keitai pages.
    pub key: Option<char>,
    /// Label.
    pub text: String,
    /// Internal path.
    pub path: String,
}

/// HTTP method of a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Reads only (search).
    Get,
    /// Changes state; carries the CSRF field.
    Post,
}

/// A form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    /// Internal path it submits to.
    pub action: String,
    /// Method.
    pub method: Method,
    /// Fields in order.
    pub fields: Vec<Field>,
    /// Label of the submit button.
    pub submit: String,
    /// Whether it uploads files.
    pub multipart: bool,
}

/// A form field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Parameter name (stable: bookmarks and mail links depend on it).
    pub name: String,
    /// Label shown before the control.
    pub label: Option<String>,
    /// Control and value.
    pub kind: FieldKind,
    /// Validation message shown next to it.
    pub error: Option<String>,
}

impl Field {
    /// A field with a label.
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: FieldKind) -> Field {
        Field { name: name.into(), label: Some(label.into()), kind, error: None }
    }

    /// A hidden field.
    pub fn hidden(name: impl Into<String>, value: impl Into<String>) -> Field {
        Field { name: name.into(), label: None, kind: FieldKind::Hidden(value.into()), error: None }
    }
}

/// What a field is and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text.
    Text {
        /// Current value (kept after a validation error).
        value: String,
        /// Character limit.
        max_chars: Option<usize>,
        /// Input mode the handset should start in.
        mode: InputMode,
    },
    /// An e-mail address.
    Email(String),
    /// A password (never prefilled).
    Password,
    /// Several lines of text.
    TextArea {
        /// Current value.
        value: String,
        /// Visible rows.
        rows: u8,
    },
    /// A choice from a list: (value, label) pairs and the selected value.
    Select {
        /// Options.
        options: Vec<(String, String)>,
        /// Selected value.
        selected: String,
    },
    /// A check box.
    Checkbox(bool),
    /// A hidden value.
    Hidden(String),
    /// A file upload (photos); the form must be `multipart`. Renderers leave it out for
    /// handsets that cannot upload (cHTML), which post photos by mail instead.
    File {
        /// Accepted types (`image/jpeg,image/png,image/gif`).
        accept: String,
    },
}

/// Which input mode a keitai text field starts in (istyle / -wap-input-format / mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputMode {
    /// Full-width hiragana/kanji (istyle 1).
    Hiragana,
    /// Half-width katakana (istyle 2).
    Katakana,
    /// Latin letters (istyle 3).
    Alphabet,
    /// Digits (istyle 4).
    Numeric,
}
