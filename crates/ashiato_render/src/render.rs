//! Rendering a page for a target within its byte budget, split into numbered parts.
//!
//! Layout works on sizes: the writers (`write.rs`) produce each piece of a page independently
//! of its neighbours, so a part's size is the sum of its pieces' sizes. The layout is
//! deterministic for a given page, target and context, so part 3 requested later lines up with
//! the part 2 the reader saw: a part's boundaries never depend on the requested part number or
//! on the one-shot flash message (a fixed slot is reserved for it).
//!
//! Policy (docs/rendering.md):
//! 1. The whole page with the full menu fits: one part.
//! 2. Else the menu shrinks (items dropped from the end, down to the first one); if the content
//!    then fits, one part.
//! 3. Else the content is split into parts. Every part carries the title, the flash slot, a
//!    pager (`*` previous, `#` next, `n/total`) and the largest menu prefix that leaves at
//!    least half of the budget for content. Blocks are kept whole where they fit in a part;
//!    longer text blocks, paragraphs and lists are split at grapheme boundaries (never inside a
//!    character, emoji sequence, tag or character reference), preferring line ends, then
//!    sentence ends. Forms, images and separators are never split.
//! 4. Degradation when even that does not fit: no menu, then a shortened title and flash; a
//!    form too large for an empty part loses its prefilled values, then is dropped; an image or
//!    a link whose URL alone exceeds a part is dropped.

use unicode_segmentation::UnicodeSegmentation;

pub use crate::context::{CSRF_FIELD, RenderContext};
use crate::page::{Block, FieldKind, Form, Inline, MenuItem, Notice, Page, Pager};
use crate::target::{Dialect, Target};
use crate::url::SESSION_PARAM;
use crate::write::Writer;

/// The query parameter that selects a part of a split page (1-based; absent means 1).
pub const PART_PARAM: &str = "p";

/// Where the page lives: needed for the pager links and for absolute access-key links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location<'a> {
    /// The requested path with its query (`/diary/3?sort=new&p=2`). The pager keeps the
    /// other query parameters and replaces `p`, `ksid` and `guid` (the session ones are added
    /// back per [`LinkParams`](crate::url::LinkParams)).
    pub path: &'a str,
    /// The requested part, 1-based; out-of-range numbers give the nearest part.
    pub part: usize,
    /// `scheme://host[:port]` of the site, for docomo links with an access key, which docomo
    /// asks to be absolute (keitai.md §6). `None`: such links stay relative.
    pub origin: Option<&'a str>,
}

impl<'a> Location<'a> {
    /// The location of a request path with query; the part comes from its `p` parameter.
    pub fn new(path_and_query: &'a str) -> Location<'a> {
        Location { path: path_and_query, part: part_from_query(path_and_query), origin: None }
    }

    /// The same location with the site origin for absolute access-key links.
    #[must_use]
    pub fn with_origin(mut self, origin: &'a str) -> Location<'a> {
        self.origin = Some(origin);
        self
    }
}

/// The part number in a path or query string (`p=N`, 1-based); 1 when absent or invalid.
pub fn part_from_query(path_or_query: &str) -> usize {
    let query = path_or_query.split_once('?').map_or(path_or_query, |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == PART_PARAM)
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(1)
}

/// A rendered part of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The encoded body; never longer than the target's budget.
    pub body: Vec<u8>,
    /// The `Content-Type` header; the page's meta tag says the same.
    pub content_type: &'static str,
    /// Which part this is (1-based, after clamping the requested number).
    pub part: usize,
    /// How many parts the page has.
    pub parts: usize,
}

/// Renders part `at.part` of `page` for `target`. The body never exceeds `target.budget`.
pub fn render(
    page: &Page,
    ctx: &RenderContext<'_>,
    target: &Target,
    at: &Location<'_>,
) -> Rendered {
    // Fast path, the common case: the whole page fits with its full menu (the same test as
    // step 1 of the layout, so `parts` agrees).
    if target.dialect != Dialect::Hdml {
        let m = Measure { t: target, ctx, origin: at.origin };
        let cap = flash_cap(target.budget);
        let flash = page.flash.as_deref().map_or(0, |f| m.flash(f));
        if flash <= cap {
            let body = write_page(page, ctx, target, at.origin);
            if body.len() - flash + cap <= target.budget {
                return Rendered { body, content_type: target.content_type(), part: 1, parts: 1 };
            }
        }
    }
    let plan = Plan::make(page, ctx, target, at);
    let parts = plan.parts.len();
    let part = at.part.clamp(1, parts);
    let body = plan.write_part(page, ctx, target, at, part);
    Rendered { body, content_type: target.content_type(), part, parts }
}

/// Every part of `page`, rendered from one layout (what `render` gives for parts 1..=n).
pub fn render_parts(
    page: &Page,
    ctx: &RenderContext<'_>,
    target: &Target,
    at: &Location<'_>,
) -> Vec<Rendered> {
    let plan = Plan::make(page, ctx, target, at);
    let parts = plan.parts.len();
    (1..=parts)
        .map(|part| Rendered {
            body: plan.write_part(page, ctx, target, at, part),
            content_type: target.content_type(),
            part,
            parts,
        })
        .collect()
}

/// The parts `render` would write, as pages: title and flash (shortened if they had to be),
/// each part's content blocks (long blocks split, followed by the pager on split pages) and the
/// shrunk menu. Concatenating the text of the content blocks of all parts gives the text of the
/// original page. For tests and for callers that want to know the split without rendering.
pub fn parts(
    page: &Page,
    ctx: &RenderContext<'_>,
    target: &Target,
    at: &Location<'_>,
) -> Vec<Page> {
    let plan = Plan::make(page, ctx, target, at);
    (1..=plan.parts.len()).map(|n| plan.part_page(page, at, n)).collect()
}

/// The outcome of layout.
struct Plan {
    title: String,
    flash: Option<String>,
    /// Number of menu items kept.
    menu: usize,
    /// Content blocks per part.
    parts: Vec<Vec<Block>>,
    /// Whether parts get a pager.
    paged: bool,
    /// Whether pager links keep the request's other query parameters.
    keep_query: bool,
}

/// Sizes of pieces, measured with scratch writers.
struct Measure<'a> {
    t: &'a Target,
    ctx: &'a RenderContext<'a>,
    origin: Option<&'a str>,
}

impl<'a> Measure<'a> {
    fn with(&self, f: impl FnOnce(&mut Writer<'_>)) -> usize {
        let mut w = Writer::new(self.t, self.ctx, self.origin, 512);
        f(&mut w);
        w.len()
    }

    fn prologue(&self, title: &str) -> usize {
        self.with(|w| w.prologue(title))
    }

    fn flash(&self, flash: &str) -> usize {
        self.with(|w| w.flash(flash))
    }

    fn tail(&self, items: &[MenuItem]) -> usize {
        self.with(|w| w.tail(items))
    }

    fn block(&self, b: &Block) -> usize {
        self.with(|w| w.block(b))
    }
}

impl Plan {
    fn make(page: &Page, ctx: &RenderContext<'_>, t: &Target, at: &Location<'_>) -> Plan {
        let single = |title: String, flash: Option<String>, menu: usize, blocks: Vec<Block>| Plan {
            title,
            flash,
            menu,
            parts: vec![blocks],
            paged: false,
            keep_query: true,
        };
        if t.dialect == Dialect::Hdml {
            return single(page.title.clone(), None, 0, Vec::new());
        }
        let m = Measure { t, ctx, origin: at.origin };
        let budget = t.budget;
        let flash_cap = flash_cap(budget);
        let flash = page.flash.as_ref().map(|f| fit_prefix(f, flash_cap, |s| m.flash(s)));
        let mut title = page.title.clone();
        let mut head = m.prologue(&title);
        let tails: Vec<usize> = (0..=page.menu.len()).map(|k| m.tail(&page.menu[..k])).collect();
        let sizes: Vec<usize> = page.blocks.iter().map(|b| m.block(b)).collect();
        let content: usize = sizes.iter().sum();
        let min_menu = usize::from(!page.menu.is_empty());

        // 1, 2: one part, menu shrinking down to its first item.
        for k in (min_menu..=page.menu.len()).rev() {
            if head + flash_cap + content + tails[k] <= budget {
                return single(title, flash, k, page.blocks.clone());
            }
        }

        // 3: parts. The pager's worst case grows with the number of digits of the part count.
        let half = budget / 2;
        let mut digits = 1u32;
        loop {
            let nines = 10usize.checked_pow(digits).map_or(usize::MAX, |n| n - 1);
            let worst = |keep: bool| {
                let path = part_path(at.path, nines, keep);
                m.block(&Block::Pager(Pager {
                    prev: Some(path.clone()),
                    next: Some(path),
                    position: Some((nines, nines)),
                }))
            };
            let mut keep_query = true;
            let mut pager = worst(true);
            if pager > budget / 4 {
                keep_query = false;
                pager = worst(false);
            }
            if pager > budget / 4 {
                // A path this long cannot be linked at all; the parts are still written, and the
                // reader sees only the first one. Never reached with our own routes.
                pager = 0;
            }
            let fixed = |head: usize, k: usize| head + flash_cap + pager + tails[k];
            let menu =
                (min_menu..=page.menu.len()).rev().find(|&k| fixed(head, k) <= half).unwrap_or(0);
            if fixed(head, menu) > half {
                // 4: shorten the title until the essentials take at most half the budget.
                let room = half.saturating_sub(fixed(0, menu));
                title = fit_prefix(&page.title, room, |s| m.prologue(s));
                head = m.prologue(&title);
            }
            let room = budget.saturating_sub(fixed(head, menu));
            let parts = fill(&page.blocks, &sizes, room, &m);
            if parts.len() <= nines || digits >= 19 {
                return Plan { title, flash, menu, parts, paged: pager > 0, keep_query };
            }
            digits += 1;
        }
    }

    /// Part `n` (1-based) as a page.
    fn part_page(&self, page: &Page, at: &Location<'_>, n: usize) -> Page {
        let total = self.parts.len();
        let mut blocks = self.parts.get(n - 1).cloned().unwrap_or_default();
        if self.paged {
            blocks.push(Block::Pager(Pager {
                prev: (n > 1).then(|| part_path(at.path, n - 1, self.keep_query)),
                next: (n < total).then(|| part_path(at.path, n + 1, self.keep_query)),
                position: Some((n, total)),
            }));
        }
        Page {
            title: self.title.clone(),
            flash: self.flash.clone(),
            blocks,
            menu: page.menu[..self.menu.min(page.menu.len())].to_vec(),
        }
    }

    fn write_part(
        &self,
        page: &Page,
        ctx: &RenderContext<'_>,
        t: &Target,
        at: &Location<'_>,
        n: usize,
    ) -> Vec<u8> {
        if t.dialect == Dialect::Hdml {
            let mut w = Writer::new(t, ctx, at.origin, 512);
            w.prologue(&page.title);
            w.hdml_notice();
            w.tail(&[]);
            return w.enc.finish();
        }
        let mut part = self.part_page(page, at, n);
        loop {
            let body = write_page(&part, ctx, t, at.origin);
            if body.len() <= t.budget || !shed(&mut part) {
                return body;
            }
        }
    }
}

/// The bytes reserved for the flash message on every page, present or not, so that part
/// boundaries do not move when the one-shot message is gone on the next request.
fn flash_cap(budget: usize) -> usize {
    (budget / 16).clamp(128, 512)
}

/// Writes a whole page (one part) without any splitting.
fn write_page(page: &Page, ctx: &RenderContext<'_>, t: &Target, origin: Option<&str>) -> Vec<u8> {
    let mut w = Writer::new(t, ctx, origin, t.budget.min(16 * 1024));
    w.prologue(&page.title);
    if let Some(f) = &page.flash {
        w.flash(f);
    }
    for b in &page.blocks {
        w.block(b);
    }
    w.tail(&page.menu);
    w.enc.finish()
}

/// Last-resort safety net (layout makes it unnecessary): drops something so the part shrinks.
/// Returns false when nothing is left to drop.
fn shed(part: &mut Page) -> bool {
    if part.menu.pop().is_some() {
        return true;
    }
    let content = part.blocks.iter().rposition(|b| !matches!(b, Block::Pager(_)));
    if let Some(i) = content {
        part.blocks.remove(i);
        return true;
    }
    if part.flash.take().is_some() {
        return true;
    }
    if !part.title.is_empty() {
        part.title.clear();
        return true;
    }
    part.blocks.pop().is_some()
}

/// The path of part `n`: the request path, its query without `p`, `ksid`, `guid` (kept only
/// if `keep_query`), and `p=n` for n > 1. The fragment is dropped.
fn part_path(path: &str, n: usize, keep_query: bool) -> String {
    let base = path.split('#').next().unwrap_or("");
    let (p, q) = base.split_once('?').unwrap_or((base, ""));
    let mut out = String::with_capacity(base.len() + 8);
    out.push_str(p);
    let mut sep = '?';
    if keep_query {
        for kv in q.split('&').filter(|kv| !kv.is_empty()) {
            let name = kv.split('=').next().unwrap_or("");
            if name != PART_PARAM && name != SESSION_PARAM && name != "guid" {
                out.push(sep);
                out.push_str(kv);
                sep = '&';
            }
        }
    }
    if n > 1 {
        out.push(sep);
        out.push_str(PART_PARAM);
        out.push('=');
        out.push_str(&n.to_string());
    }
    out
}

/// The longest prefix of `s` (whole grapheme clusters, "…" appended when shortened) whose
/// measured size is at most `max`; empty if none.
fn fit_prefix(s: &str, max: usize, measure: impl Fn(&str) -> usize) -> String {
    if measure(s) <= max {
        return s.to_owned();
    }
    let bounds: Vec<usize> = s.grapheme_indices(true).map(|(i, _)| i).filter(|&i| i > 0).collect();
    let shortened = |i: usize| format!("{}\u{2026}", &s[..i]);
    let (mut lo, mut hi) = (0usize, bounds.len());
    // Invariant: bounds[..lo] fit, bounds[hi..] do not.
    while lo < hi {
        let mid = (lo + hi) / 2;
        if measure(&shortened(bounds[mid])) <= max {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if lo == 0 { String::new() } else { shortened(bounds[lo - 1]) }
}

// -- Filling parts ---------------------------------------------------------------------------

/// Distributes blocks over parts of `room` content bytes each.
fn fill(blocks: &[Block], sizes: &[usize], room: usize, m: &Measure<'_>) -> Vec<Vec<Block>> {
    let mut parts: Vec<Vec<Block>> = Vec::new();
    let mut part: Vec<Block> = Vec::new();
    let mut used = 0usize;
    let mut queue: std::collections::VecDeque<(Block, usize)> =
        blocks.iter().cloned().zip(sizes.iter().copied()).collect();

    let close =
        |parts: &mut Vec<Vec<Block>>, part: &mut Vec<Block>, used: &mut usize| -> Option<Block> {
            // A heading at the end of a part moves on with the content it introduces.
            let carry = if part.len() > 1 && matches!(part.last(), Some(Block::Heading(_))) {
                part.pop()
            } else {
                None
            };
            parts.push(std::mem::take(part));
            *used = 0;
            carry
        };

    while let Some((block, size)) = queue.pop_front() {
        if size <= room.saturating_sub(used) {
            part.push(block);
            used += size;
            continue;
        }
        let fits_alone = size <= room;
        if fits_alone && !part.is_empty() {
            // Short blocks are not split: start a new part.
            if let Some(h) = close(&mut parts, &mut part, &mut used) {
                let hs = m.block(&h);
                queue.push_front((block, size));
                queue.push_front((h, hs));
            } else {
                queue.push_front((block, size));
            }
            continue;
        }
        if splittable(&block) {
            if let Some((head, tail)) = split_to_fit(&block, room - used, m) {
                part.push(head);
                // A tail much longer than a part cannot fit one: skip measuring it (it is split
                // again anyway), which keeps layout linear in the page length.
                let ts = if source_len(&tail) > room.saturating_mul(4) {
                    usize::MAX
                } else {
                    m.block(&tail)
                };
                parts.push(std::mem::take(&mut part));
                used = 0;
                queue.push_front((tail, ts));
                continue;
            }
            if !part.is_empty() {
                if let Some(h) = close(&mut parts, &mut part, &mut used) {
                    let hs = m.block(&h);
                    queue.push_front((block, size));
                    queue.push_front((h, hs));
                } else {
                    queue.push_front((block, size));
                }
                continue;
            }
            // Not even one grapheme fits in an empty part (a link whose URL alone is too long):
            // the block is dropped.
            continue;
        }
        if !part.is_empty() {
            if let Some(h) = close(&mut parts, &mut part, &mut used) {
                let hs = m.block(&h);
                queue.push_front((block, size));
                queue.push_front((h, hs));
            } else {
                queue.push_front((block, size));
            }
            continue;
        }
        if let Some(smaller) = degrade(&block) {
            let s = m.block(&smaller);
            if s <= room {
                part.push(smaller);
                used += s;
            }
        }
    }
    if !part.is_empty() || parts.is_empty() {
        parts.push(part);
    }
    parts
}

fn splittable(b: &Block) -> bool {
    matches!(
        b,
        Block::Heading(_)
            | Block::Paragraph(_)
            | Block::Text(_)
            | Block::List(_)
            | Block::Notice(_)
    )
}

/// A smaller version of an atomic block that did not fit in an empty part.
fn degrade(b: &Block) -> Option<Block> {
    match b {
        Block::Form(form) => {
            let mut f: Form = form.clone();
            for field in &mut f.fields {
                match &mut field.kind {
                    FieldKind::Text { value, .. } => value.clear(),
                    FieldKind::Email(value) => value.clear(),
                    FieldKind::TextArea { value, .. } => value.clear(),
                    _ => {}
                }
                field.error = None;
            }
            Some(Block::Form(f))
        }
        Block::Image(img) => {
            let mut img = img.clone();
            img.alt.clear();
            Some(Block::Image(img))
        }
        _ => None,
    }
}

/// A place where a block may be split: before grapheme `byte` of inline `inline` of list item
/// `item` (or of the block's only string).
#[derive(Clone, Copy, Debug)]
struct Cut {
    item: usize,
    inline: usize,
    byte: usize,
    /// 2: after a line end or between inlines/items; 1: after a sentence end or space; 0: other.
    nice: u8,
}

fn niceness(before: &str) -> u8 {
    match before.chars().next_back() {
        Some('\n') => 2,
        Some('。' | '．' | '.' | '！' | '？' | '!' | '?' | '、' | ' ' | '\u{3000}') => 1,
        _ => 0,
    }
}

/// Collects cuts up to a limit of source bytes: a head never needs more source than the bytes
/// it may take (every kept character writes at least one byte), so long blocks are not scanned
/// to the end for every part. The first cut is always collected.
struct Cuts {
    out: Vec<Cut>,
    limit: usize,
}

impl Cuts {
    fn full(&self) -> bool {
        !self.out.is_empty() && self.limit == 0
    }

    fn push(&mut self, cut: Cut, source_bytes: usize) {
        self.limit = self.limit.saturating_sub(source_bytes);
        self.out.push(cut);
    }

    fn string(&mut self, s: &str, item: usize, inline: usize) {
        let mut last = 0;
        for (byte, _) in s.grapheme_indices(true).skip(1) {
            if self.full() {
                return;
            }
            self.push(Cut { item, inline, byte, nice: niceness(&s[..byte]) }, byte - last);
            last = byte;
        }
        self.limit = self.limit.saturating_sub(s.len() - last);
    }

    fn inlines(&mut self, v: &[Inline], item: usize) {
        for (n, i) in v.iter().enumerate() {
            if self.full() {
                return;
            }
            if n > 0 {
                let nice = if matches!(v[n - 1], Inline::Break) { 2 } else { 1 };
                self.push(Cut { item, inline: n, byte: 0, nice }, 1);
            }
            self.string(inline_text(i), item, n);
        }
    }
}

#[cfg(test)]
fn string_cuts(s: &str, item: usize, inline: usize, out: &mut Vec<Cut>) {
    let mut c = Cuts { out: Vec::new(), limit: usize::MAX };
    c.string(s, item, inline);
    out.extend(c.out);
}

fn inline_text(i: &Inline) -> &str {
    match i {
        Inline::Text(t) | Inline::Strong(t) => t,
        Inline::Link(l) => &l.text,
        Inline::Break => "",
    }
}

/// The places where `b` may be split, in order, within `limit` source bytes.
fn cuts(b: &Block, limit: usize) -> Vec<Cut> {
    let mut c = Cuts { out: Vec::new(), limit };
    match b {
        Block::Heading(s) | Block::Text(s) | Block::Notice(Notice::Info(s) | Notice::Error(s)) => {
            c.string(s, 0, 0);
        }
        Block::Paragraph(v) => c.inlines(v, 0),
        Block::List(items) => {
            for (k, item) in items.iter().enumerate() {
                if c.full() {
                    break;
                }
                if k > 0 {
                    c.push(Cut { item: k, inline: 0, byte: 0, nice: 2 }, 1);
                }
                c.inlines(item, k);
            }
        }
        _ => {}
    }
    c.out
}

fn split_inline(i: &Inline, byte: usize) -> (Inline, Inline) {
    match i {
        Inline::Text(t) => (Inline::Text(t[..byte].to_owned()), Inline::Text(t[byte..].to_owned())),
        Inline::Strong(t) => {
            (Inline::Strong(t[..byte].to_owned()), Inline::Strong(t[byte..].to_owned()))
        }
        Inline::Link(l) => {
            let mut a = l.clone();
            let mut b = l.clone();
            a.text = l.text[..byte].to_owned();
            b.text = l.text[byte..].to_owned();
            (Inline::Link(a), Inline::Link(b))
        }
        Inline::Break => (Inline::Break, Inline::Text(String::new())),
    }
}

fn split_inlines(v: &[Inline], inline: usize, byte: usize) -> (Vec<Inline>, Vec<Inline>) {
    if byte == 0 {
        return (v[..inline].to_vec(), v[inline..].to_vec());
    }
    let (a, b) = split_inline(&v[inline], byte);
    let mut head = v[..inline].to_vec();
    head.push(a);
    let mut tail = vec![b];
    tail.extend_from_slice(&v[inline + 1..]);
    (head, tail)
}

/// Only the head of [`split_at`] (what the binary search measures; the tail may be large).
fn head_at(b: &Block, c: Cut) -> Block {
    let head_inlines = |v: &[Inline], inline: usize, byte: usize| {
        let mut head = v[..inline].to_vec();
        if byte > 0 {
            head.push(split_inline_head(&v[inline], byte));
        }
        head
    };
    match b {
        Block::Heading(s) => Block::Heading(s[..c.byte].to_owned()),
        Block::Text(s) => Block::Text(s[..c.byte].to_owned()),
        Block::Notice(Notice::Info(s)) => Block::Notice(Notice::Info(s[..c.byte].to_owned())),
        Block::Notice(Notice::Error(s)) => Block::Notice(Notice::Error(s[..c.byte].to_owned())),
        Block::Paragraph(v) => Block::Paragraph(head_inlines(v, c.inline, c.byte)),
        Block::List(items) => {
            let mut head = items[..c.item].to_vec();
            let x = head_inlines(&items[c.item], c.inline, c.byte);
            if !x.is_empty() {
                head.push(x);
            }
            Block::List(head)
        }
        other => other.clone(),
    }
}

fn split_inline_head(i: &Inline, byte: usize) -> Inline {
    match i {
        Inline::Text(t) => Inline::Text(t[..byte].to_owned()),
        Inline::Strong(t) => Inline::Strong(t[..byte].to_owned()),
        Inline::Link(l) => Inline::Link(crate::page::Link {
            target: l.target.clone(),
            text: l.text[..byte].to_owned(),
            accesskey: l.accesskey,
        }),
        Inline::Break => Inline::Break,
    }
}

/// Source bytes of a block's text and URLs: a cheap upper bound on what measuring it costs.
fn source_len(b: &Block) -> usize {
    let inl = |v: &[Inline]| -> usize {
        v.iter()
            .map(|i| match i {
                Inline::Link(l) => {
                    l.text.len()
                        + match &l.target {
                            crate::page::Target::Internal(p)
                            | crate::page::Target::External(p)
                            | crate::page::Target::Mailto(p) => p.len(),
                        }
                }
                other => inline_text(other).len(),
            })
            .sum()
    };
    match b {
        Block::Heading(s) | Block::Text(s) | Block::Notice(Notice::Info(s) | Notice::Error(s)) => {
            s.len()
        }
        Block::Paragraph(v) => inl(v),
        Block::List(items) => items.iter().map(|v| inl(v)).sum(),
        _ => 0,
    }
}

fn split_at(b: &Block, c: Cut) -> (Block, Block) {
    let s2 = |s: &str| (s[..c.byte].to_owned(), s[c.byte..].to_owned());
    match b {
        Block::Heading(s) => {
            let (x, y) = s2(s);
            (Block::Heading(x), Block::Heading(y))
        }
        Block::Text(s) => {
            let (x, y) = s2(s);
            (Block::Text(x), Block::Text(y))
        }
        Block::Notice(Notice::Info(s)) => {
            let (x, y) = s2(s);
            (Block::Notice(Notice::Info(x)), Block::Notice(Notice::Info(y)))
        }
        Block::Notice(Notice::Error(s)) => {
            let (x, y) = s2(s);
            (Block::Notice(Notice::Error(x)), Block::Notice(Notice::Error(y)))
        }
        Block::Paragraph(v) => {
            let (x, y) = split_inlines(v, c.inline, c.byte);
            (Block::Paragraph(x), Block::Paragraph(y))
        }
        Block::List(items) => {
            let (x, y) = split_inlines(&items[c.item], c.inline, c.byte);
            let mut head = items[..c.item].to_vec();
            if !x.is_empty() {
                head.push(x);
            }
            let mut tail = Vec::with_capacity(items.len() - c.item);
            if !y.is_empty() {
                tail.push(y);
            }
            tail.extend_from_slice(&items[c.item + 1..]);
            (Block::List(head), Block::List(tail))
        }
        other => (other.clone(), Block::Separator),
    }
}

/// The largest head of `b` that fits in `left` bytes, cut at a preferred place when one is
/// close to the end, and the rest.
fn split_to_fit(b: &Block, left: usize, m: &Measure<'_>) -> Option<(Block, Block)> {
    let cuts = cuts(b, left.saturating_mul(4).saturating_add(64));
    let size_at = |i: usize| m.block(&head_at(b, cuts[i]));
    let (mut lo, mut hi) = (0usize, cuts.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if size_at(mid) <= left {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if lo == 0 {
        return None;
    }
    let best = lo - 1;
    let pick = (best / 2..=best)
        .rev()
        .find(|&j| cuts[j].nice >= 2)
        .or_else(|| (best * 3 / 4..=best).rev().find(|&j| cuts[j].nice >= 1))
        .unwrap_or(best);
    Some(split_at(b, cuts[pick]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_paths_keep_other_parameters_and_drop_session_ones() {
        assert_eq!(part_path("/d/3", 2, true), "/d/3?p=2");
        assert_eq!(part_path("/d/3?p=4&sort=new&ksid=x&guid=ON#c", 1, true), "/d/3?sort=new");
        assert_eq!(part_path("/d/3?sort=new", 3, true), "/d/3?sort=new&p=3");
        assert_eq!(part_path("/d/3?sort=new", 3, false), "/d/3?p=3");
    }

    #[test]
    fn part_numbers_come_from_the_query() {
        assert_eq!(part_from_query("/d/3?p=4&x=1"), 4);
        assert_eq!(part_from_query("/d/3?p=0"), 1);
        assert_eq!(part_from_query("/d/3?pp=2"), 1);
        assert_eq!(part_from_query("p=7"), 7);
        assert_eq!(Location::new("/d?p=2").part, 2);
    }

    #[test]
    fn fit_prefix_keeps_whole_graphemes() {
        let s = "ab1\u{FE0F}\u{20E3}cd";
        assert_eq!(fit_prefix(s, 100, str::len), s);
        assert_eq!(fit_prefix(s, 5, str::len), "ab\u{2026}");
        assert_eq!(fit_prefix(s, 2, str::len), "");
    }

    #[test]
    fn cuts_never_split_emoji_sequences_or_crlf() {
        let s = "a\r\n🇯🇵1\u{FE0F}\u{20E3}👨\u{200D}👩b";
        let mut out = Vec::new();
        string_cuts(s, 0, 0, &mut out);
        let at: Vec<usize> = out.iter().map(|c| c.byte).collect();
        let expect: Vec<usize> = s.grapheme_indices(true).skip(1).map(|(i, _)| i).collect();
        assert_eq!(at, expect);
        assert_eq!(at.len(), 5, "a | CRLF | flag | keycap | family | b");
    }
}
