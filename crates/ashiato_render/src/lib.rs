//! Pages as data, and the writers that turn them into what each handset can show.
//!
//! Handlers build a [`page::Page`] (title, blocks, forms, a numbered menu) from catalog strings
//! ([`i18n`]) and stored content; they never write markup. A renderer then writes the page in
//! the dialect of the requesting handset, adding what the transport needs: the session token
//! on every internal link for handsets without cookies, the CSRF field on every POST form, and
//! `/jump` for links that leave the site.

pub mod html;
pub mod i18n;
pub mod page;
pub mod url;

pub use page::{
    Block, Field, FieldKind, Form, Inline, InputMode, Link, MenuItem, Method, Notice, Page,
};
