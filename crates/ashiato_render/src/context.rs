//! What every writer and the layout need besides the page and the target: the
//! [`RenderContext`] and the CSRF field name. Kept below both `render` and `write.rs` so the
//! writer does not depend on the layout; [`crate::render`] re-exports both items.

use crate::i18n::Lang;
use crate::url::LinkParams;

/// What a renderer needs to know besides the page and the target.
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
