//! The routes. Each module holds one area's handlers; `configure` mounts them all.

use actix_web::web;
use ashiato_core::{Invalid, Problem};
use ashiato_render::i18n::Catalog;
use ashiato_render::page::{Field, MenuItem};

pub mod auth;
pub mod handset;
pub mod health;
pub mod home;

/// Mounts every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(home::top)))
        .service(web::resource("/home").route(web::get().to(home::home)))
        .service(
            web::resource("/login")
                .route(web::get().to(auth::login_form))
                .route(web::post().to(auth::login)),
        )
        .service(
            web::resource("/logout")
                .route(web::get().to(auth::logout_form))
                .route(web::post().to(auth::logout)),
        )
        .service(
            web::resource("/join")
                .route(web::get().to(auth::join_open_form))
                .route(web::post().to(auth::join_open)),
        )
        .service(
            web::resource("/join/{token}")
                .route(web::get().to(auth::join_form))
                .route(web::post().to(auth::join)),
        )
        .service(
            web::resource("/invite")
                .route(web::get().to(auth::invite_form))
                .route(web::post().to(auth::invite)),
        )
        .service(web::resource("/handset").route(web::get().to(handset::show)))
        .service(web::resource("/healthz").route(web::get().to(health::healthz)));
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

/// The footer menu for a logged-in or anonymous reader, with number keys.
pub fn menu(cat: &Catalog, logged_in: bool) -> Vec<MenuItem> {
    let item = |key: char, text: &str, path: &str| MenuItem {
        key: Some(key),
        text: text.into(),
        path: path.into(),
    };
    if logged_in {
        vec![
            item('0', cat.t("menu.home"), "/home"),
            item('8', cat.t("menu.invite"), "/invite"),
            item('9', cat.t("menu.logout"), "/logout"),
        ]
    } else {
        vec![item('0', cat.t("menu.top"), "/"), item('9', cat.t("menu.login"), "/login")]
    }
}
