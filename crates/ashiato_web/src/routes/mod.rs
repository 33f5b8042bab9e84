//! The routes. Each module holds one area's handlers; `configure` mounts them all.

use actix_web::web;
use ashiato_core::{Invalid, Problem};
use ashiato_render::i18n::Catalog;
use ashiato_render::page::{Block, Field, Form, Inline, Link, MenuItem, Method};

pub mod admin;
pub mod apps;
pub mod auth;
pub mod communities;
pub mod community_admin;
pub mod diary;
pub mod export;
pub mod footsteps;
pub mod friends;
pub mod handset;
pub mod health;
pub mod home;
pub mod images;
pub mod jump;
pub mod mail;
pub mod messages;
pub mod metrics;
pub mod profile;
pub mod recovery;
pub mod report;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod text;

/// Mounts every route. The URLs and form field names are stable: bookmarks and mail links
/// depend on them.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{get, post, resource};
    cfg.service(resource("/").route(get().to(home::top)))
        .service(resource("/home").route(get().to(home::home)))
        .service(resource("/login").route(get().to(auth::login_form)).route(post().to(auth::login)))
        .service(resource("/login/easy").route(post().to(auth::easy_login)))
        .service(
            resource("/password/reset")
                .route(get().to(recovery::request_form))
                .route(post().to(recovery::request)),
        )
        .service(
            resource("/password/reset/{token}")
                .route(get().to(recovery::new_password_form))
                .route(post().to(recovery::set_password)),
        )
        .service(
            resource("/confirm/{token}")
                .route(get().to(recovery::confirm_form))
                .route(post().to(recovery::confirm)),
        )
        .service(resource("/settings/confirm").route(post().to(recovery::resend)))
        .service(resource("/settings/sessions").route(get().to(sessions::list)))
        .service(resource("/admin").route(get().to(admin::dashboard)))
        .service(resource("/admin/confirm").route(post().to(admin::confirm)))
        .service(resource("/admin/members").route(get().to(admin::members)))
        .service(resource("/admin/members/{id}").route(get().to(admin::member)))
        .service(resource("/admin/members/{id}/{action}").route(post().to(admin::act)))
        .service(resource("/admin/audit").route(get().to(admin::audit)))
        .service(resource("/admin/reports").route(get().to(admin::reports::queue)))
        .service(resource("/admin/reports/{id}").route(get().to(admin::reports::show)))
        .service(
            resource("/admin/reports/{id}/{decision}").route(post().to(admin::reports::decide)),
        )
        .service(resource("/admin/content").route(get().to(admin::reports::content)))
        .service(resource("/admin/apps").route(get().to(admin::apps::list)))
        .service(resource("/admin/apps/{id}/{decision}").route(post().to(admin::apps::decide)))
        .service(resource("/admin/content/remove").route(post().to(admin::reports::remove)))
        .service(
            resource("/admin/announcements")
                .route(get().to(admin::announcements))
                .route(post().to(admin::announce)),
        )
        .service(resource("/admin/announcements/{id}/delete").route(post().to(admin::withdraw)))
        .service(resource("/admin/invitations").route(get().to(admin::invitations)))
        .service(
            resource("/admin/invitations/{id}/revoke").route(post().to(admin::revoke_invitation)),
        )
        .service(
            resource("/settings/export")
                .route(get().to(export::show))
                .route(post().to(export::download)),
        )
        .service(
            resource("/settings/sessions/logout-others").route(post().to(sessions::end_others)),
        )
        .service(resource("/settings/sessions/{id}/logout").route(post().to(sessions::end_one)))
        .service(resource("/jump").route(get().to(jump::jump)))
        .service(resource("/img/{photo}/{variant}").route(get().to(images::show)))
        .service(
            resource("/logout").route(get().to(auth::logout_form)).route(post().to(auth::logout)),
        )
        .service(
            resource("/join")
                .route(get().to(auth::join_open_form))
                .route(post().to(auth::join_open)),
        )
        .service(
            resource("/join/{token}").route(get().to(auth::join_form)).route(post().to(auth::join)),
        )
        .service(
            resource("/invite").route(get().to(auth::invite_form)).route(post().to(auth::invite)),
        )
        .service(resource("/m/{member}").route(get().to(profile::show)))
        .service(resource("/m/{member}/diary").route(get().to(diary::list)))
        .service(resource("/m/{member}/friends").route(get().to(friends::of_member)))
        .service(
            resource("/m/{member}/friend-request")
                .route(get().to(profile::request_form))
                .route(post().to(profile::request)),
        )
        .service(
            resource("/m/{member}/unfriend")
                .route(get().to(profile::unfriend_form))
                .route(post().to(profile::unfriend)),
        )
        .service(
            resource("/m/{member}/block")
                .route(get().to(profile::block_form))
                .route(post().to(profile::block)),
        )
        .service(
            resource("/m/{member}/mute")
                .route(get().to(profile::mute_form))
                .route(post().to(profile::mute)),
        )
        .service(
            resource("/m/{member}/introduce")
                .route(get().to(profile::introduce_form))
                .route(post().to(profile::introduce)),
        )
        .service(resource("/diary").route(get().to(diary::my_list)))
        .service(
            resource("/diary/new").route(get().to(diary::new_form)).route(post().to(diary::create)),
        )
        .service(resource("/diary/{id}").route(get().to(diary::show)))
        .service(
            resource("/diary/{id}/edit")
                .route(get().to(diary::edit_form))
                .route(post().to(diary::update)),
        )
        .service(
            resource("/diary/{id}/delete")
                .route(get().to(diary::delete_form))
                .route(post().to(diary::delete)),
        )
        .service(resource("/diary/{id}/comments").route(post().to(diary::comment)))
        .service(
            resource("/diary/{id}/comments/{comment}/delete")
                .route(post().to(diary::delete_comment)),
        )
        .service(resource("/footsteps").route(get().to(footsteps::show)))
        .service(resource("/friends").route(get().to(friends::mine)))
        .service(resource("/friends/requests").route(get().to(friends::requests)))
        .service(resource("/friends/requests/{id}/accept").route(post().to(friends::accept)))
        .service(resource("/friends/requests/{id}/reject").route(post().to(friends::reject)))
        .service(resource("/communities").route(get().to(communities::list)))
        .service(
            resource("/communities/new")
                .route(get().to(communities::new_form))
                .route(post().to(communities::create)),
        )
        .service(resource("/c/{id}").route(get().to(communities::show)))
        .service(resource("/c/{id}/join").route(post().to(communities::join)))
        .service(resource("/c/{id}/leave").route(post().to(communities::leave)))
        .service(
            resource("/c/{id}/photo")
                .route(get().to(communities::photo_form))
                .route(post().to(communities::photo_upload)),
        )
        .service(resource("/c/{id}/members").route(get().to(communities::members)))
        .service(
            resource("/c/{id}/edit")
                .route(get().to(community_admin::edit_details_form))
                .route(post().to(community_admin::edit_details)),
        )
        .service(
            resource("/c/{id}/members/{member}/remove")
                .route(post().to(community_admin::remove_member)),
        )
        .service(
            resource("/c/{id}/members/{member}/subadmin")
                .route(post().to(community_admin::subadmin)),
        )
        .service(
            resource("/c/{id}/topics/{topic}/edit")
                .route(get().to(community_admin::edit_topic_form))
                .route(post().to(community_admin::edit_topic)),
        )
        .service(
            resource("/c/{id}/topics/{topic}/delete")
                .route(get().to(community_admin::delete_topic_form))
                .route(post().to(community_admin::delete_topic)),
        )
        .service(
            resource("/c/{id}/topics/{topic}/comments/{comment}/edit")
                .route(get().to(community_admin::edit_comment_form))
                .route(post().to(community_admin::edit_comment)),
        )
        .service(
            resource("/c/{id}/topics/{topic}/comments/{comment}/delete")
                .route(post().to(community_admin::delete_comment)),
        )
        .service(resource("/c/{id}/approve/{member}").route(post().to(communities::approve)))
        .service(resource("/c/{id}/admin").route(post().to(communities::transfer)))
        .service(
            resource("/c/{id}/topics/new")
                .route(get().to(communities::new_topic_form))
                .route(post().to(communities::create_topic)),
        )
        .service(resource("/c/{id}/topics/{topic}").route(get().to(communities::topic)))
        .service(resource("/c/{id}/topics/{topic}/comments").route(post().to(communities::comment)))
        .service(resource("/messages").route(get().to(messages::inbox)))
        .service(resource("/messages/sent").route(get().to(messages::sent)))
        .service(
            resource("/messages/new")
                .route(get().to(messages::compose))
                .route(post().to(messages::send)),
        )
        .service(resource("/messages/{id}").route(get().to(messages::show)))
        .service(resource("/messages/{id}/delete").route(post().to(messages::delete)))
        .service(
            resource("/settings").route(get().to(settings::show)).route(post().to(settings::save)),
        )
        .service(resource("/settings/blocks").route(get().to(settings::blocks)))
        .service(resource("/settings/mutes").route(get().to(settings::mutes)))
        .service(
            resource("/settings/photo")
                .route(get().to(settings::photo_form))
                .route(post().to(settings::photo_upload)),
        )
        .service(
            resource("/settings/mail").route(get().to(mail::show)).route(post().to(mail::change)),
        )
        .service(
            resource("/settings/easy-login")
                .route(get().to(settings::easy_login_page))
                .route(post().to(settings::easy_login_change)),
        )
        .service(
            resource("/settings/password")
                .route(get().to(settings::password_form))
                .route(post().to(settings::change_password)),
        )
        .service(
            resource("/settings/withdraw")
                .route(get().to(settings::withdraw_form))
                .route(post().to(settings::withdraw)),
        )
        .service(resource("/apps").route(get().to(apps::list)))
        .service(
            resource("/apps/new").route(get().to(apps::new_form)).route(post().to(apps::create)),
        )
        .service(resource("/apps/{id}").route(get().to(apps::run_redirect)))
        .service(resource("/apps/{id}/").route(get().to(apps::run)).route(post().to(apps::run)))
        .service(resource("/apps/{id}/about").route(get().to(apps::about)))
        .service(resource("/apps/{id}/install").route(post().to(apps::install)))
        .service(resource("/apps/{id}/uninstall").route(post().to(apps::uninstall)))
        .service(resource("/apps/{id}/img").route(get().to(apps::image)))
        .service(
            resource("/apps/{id}/invite")
                .route(get().to(apps::invite_form))
                .route(post().to(apps::invite)),
        )
        // The Social API (OAuth 1.0a; JSON and XML answers, never HTML pages).
        .service(
            resource("/social/rpc")
                .route(get().to(crate::apps::api::rpc))
                .route(post().to(crate::apps::api::rpc)),
        )
        .service(resource("/social/container.pem").route(get().to(crate::apps::api::container_key)))
        .service(
            resource("/social/rest/rpc")
                .route(get().to(crate::apps::api::rpc))
                .route(post().to(crate::apps::api::rpc)),
        )
        .service(resource("/social/rest/{tail:.*}").route(web::route().to(crate::apps::api::rest)))
        .service(resource("/search").route(get().to(search::search)))
        .configure(report_routes)
        .service(resource("/handset").route(get().to(handset::show)))
        .service(resource("/healthz").route(get().to(health::healthz)))
        .service(resource("/readyz").route(get().to(health::readyz)))
        .service(resource("/metrics").route(get().to(metrics::metrics)));
}

/// `…/report` on everything a member can report (one handler reads the content from the path).
fn report_routes(cfg: &mut web::ServiceConfig) {
    for pattern in [
        "/diary/{id}/report",
        "/diary/{id}/comments/{comment}/report",
        "/m/{member}/report",
        "/c/{id}/report",
        "/c/{id}/topics/{topic}/report",
        "/c/{id}/topics/{topic}/comments/{comment}/report",
        "/messages/{id}/report",
    ] {
        cfg.service(
            web::resource(pattern)
                .route(web::get().to(report::form))
                .route(web::post().to(report::submit)),
        );
    }
}

/// Items per page on lists (diaries, friends, footsteps, messages, search results).
pub const PAGE_SIZE: i64 = 20;

/// `?page=N` on list pages (1-based).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Paging {
    /// Page number.
    #[serde(default)]
    pub page: Option<u32>,
}

impl Paging {
    /// The page number, at least 1.
    pub fn number(&self) -> i64 {
        i64::from(self.page.unwrap_or(1).max(1))
    }

    /// The row offset of this page.
    pub fn offset(&self) -> i64 {
        (self.number() - 1) * PAGE_SIZE
    }
}

/// Previous/next links for a list page; `has_more` when the page was full.
pub fn pager(cat: &Catalog, path: &str, page: i64, has_more: bool) -> Option<Block> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut inlines = Vec::new();
    if page > 1 {
        inlines.push(Inline::Link(Link {
            accesskey: Some('*'),
            ..Link::internal(format!("{path}{sep}page={}", page - 1), cat.t("list.newer"))
        }));
    }
    if has_more {
        if !inlines.is_empty() {
            inlines.push(Inline::text(" | "));
        }
        inlines.push(Inline::Link(Link {
            accesskey: Some('#'),
            ..Link::internal(format!("{path}{sep}page={}", page + 1), cat.t("list.older"))
        }));
    }
    (!inlines.is_empty()).then_some(Block::Paragraph(inlines))
}

/// A link to a member's profile.
pub fn member_link(m: &ashiato_store::friends::MemberSummary) -> Inline {
    Inline::link(format!("/m/{}", m.id), m.nickname.clone())
}

/// Month/day hour:minute in Japan time, the way keitai pages show times ("11/26 09:30").
pub fn short_time(t: ashiato_core::Timestamp) -> String {
    let (_, m, d) = t.civil_date(ashiato_core::time::JST_OFFSET_MINUTES);
    let (hh, mm) = t.hour_minute(ashiato_core::time::JST_OFFSET_MINUTES);
    format!("{m:02}/{d:02} {hh:02}:{mm:02}")
}

/// A POST form.
pub fn post_form(
    action: impl Into<String>,
    fields: Vec<Field>,
    submit: impl Into<String>,
) -> Block {
    Block::Form(Form {
        action: action.into(),
        method: Method::Post,
        fields,
        submit: submit.into(),
        multipart: false,
    })
}

/// The scope choices of a diary or profile field, in the reader's language.
pub fn scope_options(cat: &Catalog) -> Vec<(String, String)> {
    ashiato_core::Scope::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), cat.t(&format!("scope.{}", s.as_str())).to_owned()))
        .collect()
}

/// The reader-facing message for a domain problem.
pub fn problem_message(cat: &Catalog, problem: Problem) -> String {
    let key = format!("error.{}", problem.code());
    match problem.limit() {
        Some(n) => cat.f(&key, &[("n", &n.to_string())]),
        None => cat.t(&key).to_owned(),
    }
}

/// Attaches validation messages to the fields they belong to.
pub fn attach_errors(cat: &Catalog, fields: &mut [Field], errors: &[Invalid]) {
    for e in errors {
        if let Some(f) = fields.iter_mut().find(|f| f.name == e.field) {
            f.error = Some(problem_message(cat, e.problem));
        }
    }
}

/// The footer menu for a logged-in or anonymous reader, with number keys (mixi's keitai pages
/// put the same digits on the same places on every page).
pub fn menu(cat: &Catalog, logged_in: bool) -> Vec<MenuItem> {
    let item = |key: char, text: &str, path: &str| MenuItem {
        key: Some(key),
        text: text.into(),
        path: path.into(),
    };
    if logged_in {
        vec![
            item('0', cat.t("menu.home"), "/home"),
            item('1', cat.t("menu.diary"), "/diary"),
            item('2', cat.t("menu.friends"), "/friends"),
            item('3', cat.t("menu.footsteps"), "/footsteps"),
            item('4', cat.t("menu.messages"), "/messages"),
            item('5', cat.t("menu.communities"), "/communities"),
            item('6', cat.t("menu.search"), "/search"),
            item('7', cat.t("menu.settings"), "/settings"),
            item('8', cat.t("menu.invite"), "/invite"),
            item('9', cat.t("menu.logout"), "/logout"),
        ]
    } else {
        vec![item('0', cat.t("menu.top"), "/"), item('9', cat.t("menu.login"), "/login")]
    }
}

#[cfg(test)]
mod tests {
    use ashiato_render::i18n::{Catalog, Lang};

    /// Every catalog key written literally in the web crate (`t("…")`, `f("…")`) exists in both
    /// languages, and every scope has its label; a missing key would show the key itself.
    #[test]
    fn every_key_the_code_uses_is_in_both_catalogs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root.join("visitor.rs"), root.join("middleware.rs")];
        let mut dirs = vec![root.join("routes"), root.join("apps")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).expect("source dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() { dirs.push(path) } else { files.push(path) }
            }
        }
        let mut keys = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read source");
            for marker in [".t(\"", ".f(\""] {
                for (at, _) in text.match_indices(marker) {
                    let rest = &text[at + marker.len()..];
                    let key: String = rest.chars().take_while(|c| *c != '"').collect();
                    if key.contains('.') {
                        keys.push(key);
                    }
                }
            }
        }
        keys.extend(ashiato_core::Scope::ALL.iter().map(|s| format!("scope.{}", s.as_str())));
        // Keys the moderation pages build from a value.
        use ashiato_core::moderation::{ReportCategory, Target};
        keys.extend(ReportCategory::ALL.iter().map(|c| format!("report.category_{}", c.as_str())));
        let kinds = [
            "/diary/1",
            "/diary/1/comments/1",
            "/m/1",
            "/m/1/photo",
            "/c/1",
            "/c/1/topics/1",
            "/c/1/topics/1/comments/1",
            "/messages/1",
        ];
        for path in kinds {
            let kind = Target::parse(path).expect("target").kind();
            keys.push(format!("report.what_{}", kind.as_str()));
            keys.push(crate::error::ErrorPage::Removed(kind).message_key().to_owned());
        }
        keys.extend(ashiato_app::reports::ACTIONS.iter().map(|a| format!("admin.action_{a}")));
        keys.extend(["open", "resolved", "dismissed"].map(|s| format!("admin.report_{s}")));
        keys.extend(["approved", "pending", "suspended"].map(|s| format!("admin.app_{s}")));
        assert!(keys.len() > 100, "the scan found only {} keys", keys.len());
        for lang in [Lang::Ja, Lang::En] {
            let cat = Catalog::get(lang);
            let have: std::collections::HashSet<&str> = cat.keys().collect();
            let missing: Vec<&String> =
                keys.iter().filter(|k| !have.contains(k.as_str())).collect();
            assert!(missing.is_empty(), "{lang:?} catalog lacks {missing:?}");
        }
    }
}
