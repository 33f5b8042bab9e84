//! Pages as data, and the writers that turn them into what each handset can show.
//!
//! Handlers build a [`page::Page`] (title, blocks, forms, a numbered menu) from catalog strings
//! ([`i18n`]) and stored content; they never write markup. [`render()`] then writes the page in
//! the dialect of the requesting handset ([`Target::for_handset`]: i-mode cHTML, docomo
//! i-XHTML, au XHTML, SoftBank 3GC XHTML, HTML5), encoded for it (Shift_JIS or UTF-8, carrier
//! emoji) and split into numbered parts so that no body exceeds the handset's byte budget. It
//! adds what the transport needs: the session token on every internal link and form for
//! handsets without cookies, `guid=ON` for docomo, the CSRF field on every POST form, and
//! `/jump` for links that leave the site. `docs/rendering.md` has the per-dialect details and
//! their sources.

mod context;
pub mod html;
pub mod i18n;
pub mod page;
pub mod render;
pub mod target;
pub mod url;
mod write;

pub use page::{
    Block, Field, FieldKind, Form, Image, Inline, InputMode, Link, MenuItem, Method, Notice, Page,
    Pager,
};
pub use render::{
    CSRF_FIELD, Location, PART_PARAM, RenderContext, Rendered, part_from_query, parts, render,
    render_parts,
};
pub use target::{Dialect, InputAttrs, Target};
