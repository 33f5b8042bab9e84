//! Text members wrote, made into page blocks: line breaks kept, URLs made into links. Links
//! that leave the site go through `/jump` (the renderer asks the visitor for the signed URL);
//! links to our own pages become internal links, so the session parameters the reader needs
//! are added and none a writer pasted survive.

use ashiato_render::page::{Block, Inline, Link};

use crate::visitor::Visitor;

/// Characters that may continue a URL in running text (RFC 3986 without the delimiters people
/// put around links in prose).
fn url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&*+,;=%".contains(c)
}

/// Splits text into plain runs and URLs.
fn find_urls(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let next = ["http://", "https://"].iter().filter_map(|p| rest.find(p)).min();
        let Some(at) = next else { break };
        let len = rest[at..].find(|c: char| !url_char(c)).unwrap_or(rest.len() - at);
        // A URL needs more than its scheme.
        let scheme_len = if rest[at..].starts_with("https://") { 8 } else { 7 };
        if len <= scheme_len {
            out.push((false, &rest[..at + len]));
            rest = &rest[at + len..];
            continue;
        }
        if at > 0 {
            out.push((false, &rest[..at]));
        }
        // Trailing punctuation belongs to the sentence, not the link.
        let url = rest[at..at + len].trim_end_matches(['.', ',', '!', '?', ';', ':']);
        out.push((true, url));
        rest = &rest[at + url.len()..];
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    out
}

/// The path and query of a URL on one of our hosts, without session parameters; `None` for
/// other hosts.
fn internal_path(url: &str, hosts: &[String]) -> Option<String> {
    let without_scheme = url.split_once("://")?.1;
    let (host, path) = match without_scheme.find('/') {
        Some(i) => without_scheme.split_at(i),
        None => (without_scheme, "/"),
    };
    if !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return None;
    }
    let (path, fragment) = match path.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (path, None),
    };
    let (base, query) = match path.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (path, None),
    };
    let kept: Vec<&str> = query
        .map(|q| {
            q.split('&')
                .filter(|kv| !kv.starts_with("ksid=") && !kv.starts_with("guid=") && !kv.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut out = base.to_owned();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

/// A member's text as a block: plain text when it holds no links, a paragraph of text, line
/// breaks and links otherwise.
pub fn member_text(visitor: &Visitor, text: &str) -> Block {
    let pieces = find_urls(text);
    if !pieces.iter().any(|(is_url, _)| *is_url) {
        return Block::Text(text.to_owned());
    }
    let hosts = &visitor.state().allowed_hosts;
    let mut inlines = Vec::new();
    for (is_url, piece) in pieces {
        if is_url {
            let link = match internal_path(piece, hosts) {
                Some(path) => Link::internal(path, piece),
                None => Link::external(piece, piece),
            };
            inlines.push(Inline::Link(link));
        } else {
            for (n, line) in piece.split('\n').enumerate() {
                if n > 0 {
                    inlines.push(Inline::Break);
                }
                if !line.is_empty() {
                    inlines.push(Inline::text(line));
                }
            }
        }
    }
    Block::Paragraph(inlines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_found_in_running_japanese_text() {
        let p = find_urls("見て→http://example.com/a?b=1。次 https://x.jp/!");
        assert_eq!(
            p,
            [
                (false, "見て→"),
                (true, "http://example.com/a?b=1"),
                (false, "。次 "),
                (true, "https://x.jp/"),
                (false, "!")
            ]
        );
        assert_eq!(find_urls("http:// だけ"), [(false, "http://"), (false, " だけ")]);
    }

    #[test]
    fn our_links_lose_their_session_parameters() {
        let hosts = vec!["sns.example.jp".to_owned()];
        assert_eq!(
            internal_path("http://sns.example.jp/diary/3?guid=ON&ksid=abc&p=2#c1", &hosts)
                .as_deref(),
            Some("/diary/3?p=2#c1")
        );
        assert_eq!(internal_path("https://SNS.example.jp", &hosts).as_deref(), Some("/"));
        assert_eq!(internal_path("http://evil.example/diary/3", &hosts), None);
    }
}
