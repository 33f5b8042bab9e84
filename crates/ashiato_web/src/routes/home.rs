//! The top page and a member's home: what friends did, and what is waiting for me.

use actix_web::HttpResponse;
use ashiato_render::page::{Block, Inline, Link, Page};
use ashiato_store::friends;

use crate::error::WebError;
use crate::routes::{auth, member_link, menu, recovery, short_time};
use crate::visitor::{Member, Visitor};

/// `/`: the home page for members, the login page for everyone else.
pub async fn top(visitor: Visitor) -> Result<HttpResponse, WebError> {
    if visitor.member.is_some() { home(visitor).await } else { auth::top_login(visitor).await }
}

/// `/home`.
pub async fn home(visitor: Visitor) -> Result<HttpResponse, WebError> {
    let Member { visitor, id: me, nickname } = Member::require(visitor)?;
    let data = ashiato_app::home::load(visitor.state(), me).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("home.title", &[("nickname", &nickname)]));
    page.flash = visitor.take_flash().await?;
    let unconfirmed_email =
        visitor.member.as_ref().filter(|m| !m.email_confirmed).map(|m| m.email.as_str());
    // The operators' announcements come first, on every handset.
    if !data.announcements.is_empty() {
        page.push(Block::Heading(cat.t("home.announcements").into()));
        for a in &data.announcements {
            page.push(Block::Paragraph(vec![
                Inline::Strong(a.title.clone()),
                Inline::Break,
                Inline::text(a.body.clone()),
            ]));
        }
    }
    for block in recovery::reminder(&visitor, unconfirmed_email, data.phone_unconfirmed) {
        page.push(block);
    }

    // What is waiting: one line each, only when there is something.
    let mut waiting = Vec::new();
    if data.requests > 0 {
        waiting.push(vec![Inline::link(
            "/friends/requests",
            cat.f("home.requests", &[("n", &data.requests.to_string())]),
        )]);
    }
    if data.unread > 0 {
        waiting.push(vec![Inline::link(
            "/messages",
            cat.f("home.unread", &[("n", &data.unread.to_string())]),
        )]);
    }
    waiting.push(vec![Inline::link(
        "/footsteps",
        cat.f("home.footsteps_today", &[("n", &data.footsteps_today.to_string())]),
    )]);
    page.push(Block::List(waiting));

    page.push(Block::Heading(cat.t("home.feed").into()));
    if data.feed.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("home.feed_empty"))]));
    } else {
        page.push(Block::List(
            data.feed
                .iter()
                .map(|f| {
                    vec![
                        Inline::text(format!("{} ", short_time(f.entry.created_at))),
                        Inline::link(format!("/diary/{}", f.entry.id), f.entry.title.clone()),
                        Inline::text(format!(" ({})", f.author_nickname)),
                    ]
                })
                .collect(),
        ));
    }
    if !data.comments.is_empty() {
        page.push(Block::Heading(cat.t("home.new_comments").into()));
        page.push(Block::List(
            data.comments
                .iter()
                .map(|(cm, title)| {
                    vec![
                        Inline::link(format!("/diary/{}", cm.entry), title.clone()),
                        Inline::text(" ← "),
                        member_link(&cm.author),
                    ]
                })
                .collect(),
        ));
    }
    if !data.topics.is_empty() {
        page.push(Block::Heading(cat.t("home.new_topics").into()));
        page.push(Block::List(
            data.topics
                .iter()
                .map(|(t, name)| {
                    vec![
                        Inline::link(
                            format!("/c/{}/topics/{}", t.community, t.id),
                            t.title.clone(),
                        ),
                        Inline::text(format!(" ({name})")),
                    ]
                })
                .collect(),
        ));
    }
    if !data.birthdays.is_empty() {
        page.push(Block::Heading(cat.t("home.birthdays").into()));
        page.push(Block::List(
            data.birthdays
                .iter()
                .map(|(m, (mo, d))| {
                    vec![
                        member_link(m),
                        Inline::text(format!(
                            " {}",
                            cat.f(
                                "profile.month_day",
                                &[("m", &mo.to_string()), ("d", &d.to_string())]
                            )
                        )),
                    ]
                })
                .collect(),
        ));
    }
    if !data.app_activities.is_empty() {
        // What friends did in apps (activities): text only on keitai, linked to the app's page.
        page.push(Block::Heading(cat.t("home.app_activities").into()));
        page.push(Block::List(
            data.app_activities
                .iter()
                .map(|a| {
                    vec![
                        Inline::text(format!("{} ", short_time(a.activity.created_at))),
                        member_link(&friends::MemberSummary {
                            id: a.activity.member,
                            nickname: a.nickname.clone(),
                        }),
                        Inline::text(format!(": {} ", markup_text(&a.activity.title))),
                        Inline::link(
                            format!("/apps/{}/about", a.activity.app_id),
                            a.app_title.clone(),
                        ),
                    ]
                })
                .collect(),
        ));
    }
    page.push(Block::Heading(
        cat.f("home.friends_count", &[("n", &data.friend_count.to_string())]),
    ));
    if data.friends.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("home.no_friends"))]));
    } else {
        page.push(Block::List(data.friends.iter().map(|f| vec![member_link(f)]).collect()));
    }
    page.push(Block::Paragraph(vec![
        Inline::Link(Link {
            accesskey: Some('*'),
            ..Link::internal("/diary/new", cat.t("diary.write"))
        }),
        Inline::text(" | "),
        Inline::link(format!("/m/{me}"), cat.t("home.my_profile")),
        Inline::text(" | "),
        Inline::link("/apps", cat.t("apps.title")),
    ]));
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// The text of sanitised activity markup (`<b>` and friends removed, references decoded).
fn markup_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    #[test]
    fn activity_markup_becomes_text() {
        assert_eq!(
            super::markup_text("<b>Went</b> <a href=\"http://x\">rafting</a> &amp; &lt;3"),
            "Went rafting & <3"
        );
    }
}
