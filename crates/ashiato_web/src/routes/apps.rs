//! App pages: the app list, registering an app, its page with install and uninstall, the
//! proxied app itself on the handset, the image proxy and the friend picker for invitations.

use std::net::IpAddr;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use ashiato_core::{AppId, MemberId};
use ashiato_image::Variant;
use ashiato_opensocial::oauth;
use ashiato_opensocial::proxy::{
    self as osproxy, ForwardIdentity, ProxyError, ProxyLink, PseudoLink, RewriteOptions,
    app_emoji_carrier, container_pseudo_link,
};
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Link, Notice, Page};
use ashiato_store::apps::{self, App};
use serde::Deserialize;
use url::Url;

use crate::error::WebError;
use crate::form::{FormData, MemberPosted, SjisForm, SjisQuery};
use crate::routes::{PAGE_SIZE, Paging, member_link, menu, pager, post_form};
use crate::visitor::{Member, Visitor};
use ashiato_app::apps::client::{self, FetchError, HostPolicy, Outbound};
use ashiato_app::apps::keys;
use ashiato_app::apps::proxy::{
    CSRF_PARAM, image_signature_ok, image_url, split_markup, target_of,
};
use ashiato_app::apps::registry::{self, RegisterError, Source};
use ashiato_app::now;

/// Largest app page read (before rewriting).
const MAX_PAGE_BYTES: usize = osproxy::DEFAULT_MAX_INPUT_BYTES;
/// Largest app image read.
const MAX_IMAGE_BYTES: usize = 1024 * 1024;
/// Largest form body forwarded to an app.
const MAX_FORWARD_BODY: usize = 64 * 1024;

fn policy(visitor: &Visitor, app: &App) -> HostPolicy {
    HostPolicy {
        registered: app.allowed_hosts.clone(),
        allow_private: visitor.state().config.app_allow_private_hosts.clone(),
    }
}

/// An app the visitor may use: a live (approved) app, or one still in review or suspended
/// only for the member who registered it and for admins (everyone else: 404).
async fn load_app(visitor: &Visitor, id: AppId) -> Result<App, WebError> {
    let app = visitor.state().run(move |c| apps::find(c, id)).await?;
    let insider =
        visitor.member.as_ref().is_some_and(|m| m.is_admin || app.registered_by == Some(m.id));
    if !app.is_live() && !insider {
        return Err(WebError::NotFound);
    }
    Ok(app)
}

/// Whether this member may register apps (`app_registration`: `review` or `members`: every
/// member; `admins`: admins only).
fn may_register(visitor: &Visitor) -> bool {
    visitor
        .member
        .as_ref()
        .is_some_and(|m| m.is_admin || visitor.state().config.app_registration != "admins")
}

/// The review state a new app starts in: under `app_registration = "review"` a member's app
/// waits for an admin; an admin's app is live at once.
fn initial_review(visitor: &Visitor) -> &'static str {
    let admin = visitor.member.as_ref().is_some_and(|m| m.is_admin);
    if visitor.state().config.app_registration == "review" && !admin {
        apps::REVIEW_PENDING
    } else {
        apps::REVIEW_APPROVED
    }
}

/// `GET /apps`: my apps and the directory.
pub async fn list(
    Member { visitor, id: me, .. }: Member,
    paging: SjisQuery<Paging>,
) -> Result<HttpResponse, WebError> {
    let offset = paging.offset();
    let (mine, all) = visitor
        .state()
        .run(move |c| Ok((apps::installed_by(c, me)?, apps::list_live(c, PAGE_SIZE + 1, offset)?)))
        .await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("apps.title"));
    page.flash = visitor.take_flash().await?;
    page.push(Block::Heading(cat.t("apps.mine").into()));
    if mine.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("apps.none_installed"))]));
    } else {
        page.push(Block::List(
            mine.iter()
                .map(|a| {
                    vec![
                        Inline::link(format!("/apps/{}/", a.id), a.title.clone()),
                        Inline::text(" "),
                        Inline::link(format!("/apps/{}/about", a.id), cat.t("apps.about")),
                    ]
                })
                .collect(),
        ));
    }
    page.push(Block::Heading(cat.t("apps.directory").into()));
    let page_len = usize::try_from(PAGE_SIZE).unwrap_or(20);
    if all.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("apps.none"))]));
    } else {
        page.push(Block::List(
            all.iter()
                .take(page_len)
                .map(|a| vec![Inline::link(format!("/apps/{}/about", a.id), a.title.clone())])
                .collect(),
        ));
    }
    if let Some(p) = pager(cat, "/apps", paging.number(), all.len() > page_len) {
        page.push(p);
    }
    if may_register(&visitor) {
        page.push(Block::Paragraph(vec![Inline::link("/apps/new", cat.t("apps.register"))]));
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

fn register_page(visitor: &Visitor, url: &str, problem: Option<String>) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("apps.register"));
    if let Some(p) = problem {
        page.push(Block::Notice(Notice::Error(p)));
    }
    page.push(Block::Paragraph(vec![Inline::text(cat.t("apps.register_help"))]));
    let mut fields = vec![Field::new(
        "gadget_url",
        cat.t("apps.gadget_url"),
        FieldKind::Text { value: url.to_owned(), max_chars: Some(1000), mode: InputMode::Alphabet },
    )];
    fields.push(Field::new(
        "signature_method",
        cat.t("apps.signature_method"),
        FieldKind::Select {
            options: vec![
                ("HMAC-SHA1".into(), cat.t("apps.signature_hmac").into()),
                ("RSA-SHA1".into(), cat.t("apps.signature_rsa").into()),
            ],
            selected: "HMAC-SHA1".into(),
        },
    ));
    let upload = crate::routes::images::can_upload(visitor);
    if upload {
        fields.push(Field::new(
            "gadget_xml",
            cat.t("apps.gadget_file"),
            FieldKind::File { accept: "application/xml,text/xml".into() },
        ));
    }
    page.push(Block::Form(ashiato_render::page::Form {
        action: "/apps/new".into(),
        method: ashiato_render::page::Method::Post,
        fields,
        submit: cat.t("apps.register_submit").into(),
        multipart: upload,
    }));
    page.menu = menu(cat, true);
    page
}

/// `GET /apps/new`.
pub async fn new_form(Member { mut visitor, .. }: Member) -> Result<HttpResponse, WebError> {
    if !may_register(&visitor) {
        return Err(WebError::Forbidden("only administrators register apps here".into()));
    }
    visitor.ensure_session().await?;
    Ok(visitor.page(&register_page(&visitor, "", None)))
}

/// `POST /apps/new`: registers by URL or uploaded XML and shows the credentials once.
pub async fn create(
    MemberPosted { member: Member { visitor, id: me, .. }, form: data }: MemberPosted<FormData>,
) -> Result<HttpResponse, WebError> {
    if !may_register(&visitor) {
        return Err(WebError::Forbidden("only administrators register apps here".into()));
    }
    let cat = visitor.cat();
    let url = data.text("gadget_url").trim().to_owned();
    let source = match (data.file("gadget_xml"), url.is_empty()) {
        (Some(xml), _) => Source::Xml(xml.to_vec()),
        (None, false) => Source::Url(url.clone()),
        (None, true) => {
            return Ok(visitor.page_with_status(
                &register_page(&visitor, &url, Some(cat.t("apps.register_empty").into())),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let state = visitor.state();
    let review = initial_review(&visitor);
    let registered = registry::register(
        &state.db,
        source,
        data.text("signature_method") == "RSA-SHA1",
        &state.config.app_allow_private_hosts,
        Some(me),
        review,
        now(),
    )
    .await;
    let reg = match registered {
        Ok(r) => r,
        Err(RegisterError::Store(e)) => return Err(e.into()),
        Err(e) => {
            let why = cat.f("apps.register_failed", &[("reason", &e.to_string())]);
            return Ok(visitor.page_with_status(
                &register_page(&visitor, &url, Some(why)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    tracing::info!(app.id = reg.app_id.0, "app registered");
    let mut page = Page::new(cat.t("apps.registered"));
    if review == apps::REVIEW_PENDING {
        page.push(Block::Notice(Notice::Info(cat.t("apps.in_review").into())));
    }
    page.push(Block::Paragraph(vec![Inline::text(cat.t("apps.credentials_once"))]));
    page.push(Block::List(vec![
        vec![
            Inline::Strong(cat.t("apps.app_id").into()),
            Inline::text(format!(": {}", reg.app_id)),
        ],
        vec![
            Inline::Strong(cat.t("apps.consumer_key").into()),
            Inline::text(format!(": {}", reg.consumer_key)),
        ],
        vec![
            Inline::Strong(cat.t("apps.consumer_secret").into()),
            Inline::text(format!(": {}", reg.consumer_secret)),
        ],
        vec![
            Inline::Strong(cat.t("apps.start_url").into()),
            Inline::text(format!(": {}", reg.start_url)),
        ],
    ]));
    if reg.signature_method == "RSA-SHA1" {
        page.push(Block::Paragraph(vec![Inline::text(cat.f(
            "apps.rsa_key_at",
            &[("url", &format!("{}/social/container.pem", state.config.base_url()))],
        ))]));
    }
    page.push(Block::Paragraph(vec![Inline::link(
        format!("/apps/{}/about", reg.app_id),
        reg.title.clone(),
    )]));
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

async fn about_page(
    visitor: &Visitor,
    app: &App,
    problem: Option<String>,
) -> Result<Page, WebError> {
    let me = visitor.member_id().ok_or(WebError::NotFound)?;
    let id = app.id;
    let (installed, using) = visitor
        .state()
        .run(move |c| Ok((apps::is_installed(c, id, me)?, apps::friends_using(c, id, me)?)))
        .await?;
    let cat = visitor.cat();
    let mut page = Page::new(app.title.clone());
    page.flash = visitor.take_flash().await?;
    if let Some(p) = problem {
        page.push(Block::Notice(Notice::Error(p)));
    }
    if !app.description.is_empty() {
        page.push(Block::Text(app.description.clone()));
    }
    let easy = visitor.session.as_ref().is_some_and(|s| s.easy_login);
    let password = || {
        // After an easy login (subscriber ID alone) installing or removing an app asks for
        // the password again (S-08): the app gets the member's profile and friends.
        easy.then(|| Field::new("password", cat.t("apps.password_again"), FieldKind::Password))
    };
    if installed {
        page.push(Block::Paragraph(vec![Inline::Link(Link {
            accesskey: Some('*'),
            ..Link::internal(format!("/apps/{id}/"), cat.t("apps.run"))
        })]));
        page.push(post_form(
            format!("/apps/{id}/uninstall"),
            password().into_iter().collect(),
            cat.t("apps.uninstall"),
        ));
    } else {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("apps.install_note"))]));
        page.push(post_form(
            format!("/apps/{id}/install"),
            password().into_iter().collect(),
            cat.t("apps.install"),
        ));
    }
    page.push(Block::Heading(cat.f("apps.friends_using", &[("n", &using.len().to_string())])));
    if !using.is_empty() {
        page.push(Block::Paragraph(
            using
                .iter()
                .enumerate()
                .flat_map(|(i, m)| {
                    let sep = (i > 0).then(|| Inline::text(", "));
                    sep.into_iter().chain([member_link(m)])
                })
                .collect(),
        ));
    }
    page.push(Block::Paragraph(vec![Inline::link("/apps", cat.t("apps.title"))]));
    page.menu = menu(cat, true);
    Ok(page)
}

/// `GET /apps/{id}/about`.
pub async fn about(
    Member { mut visitor, .. }: Member,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let app = load_app(&visitor, AppId(*id)).await?;
    Ok(visitor.page(&about_page(&visitor, &app, None).await?))
}

/// The install and uninstall forms.
#[derive(Debug, Deserialize)]
pub struct InstallForm {
    #[serde(default)]
    password: String,
}

async fn change_install(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<InstallForm>,
    >,
    id: AppId,
    install: bool,
) -> Result<HttpResponse, WebError> {
    let app = load_app(&visitor, id).await?;
    let cat = visitor.cat();
    let form = form.into_inner();
    if visitor.session.as_ref().is_some_and(|s| s.easy_login)
        && !crate::routes::settings::current_password_ok(&visitor, form.password).await?
    {
        let page = about_page(&visitor, &app, Some(cat.t("apps.password_wrong").into())).await?;
        return Ok(visitor.page_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY));
    }
    ashiato_app::apps::installs::change(visitor.state(), &app, me, install).await?;
    if install {
        Ok(visitor.redirect(&format!("/apps/{id}/")))
    } else {
        visitor.flash(cat.f("apps.uninstalled", &[("title", &app.title)])).await?;
        Ok(visitor.redirect("/apps"))
    }
}

/// `POST /apps/{id}/install`.
pub async fn install(
    posted: MemberPosted<SjisForm<InstallForm>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    change_install(posted, AppId(*id), true).await
}

/// `POST /apps/{id}/uninstall`.
pub async fn uninstall(
    posted: MemberPosted<SjisForm<InstallForm>>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    change_install(posted, AppId(*id), false).await
}

/// `GET /apps/{id}`: the app lives at `/apps/{id}/` (relative links of apps need the slash).
pub async fn run_redirect(visitor: Visitor, id: web::Path<i64>) -> HttpResponse {
    visitor.redirect(&format!("/apps/{}/", *id))
}

/// A page saying why the app could not be shown.
fn app_problem(visitor: &Visitor, app: &App, message: String, status: StatusCode) -> HttpResponse {
    let cat = visitor.cat();
    let mut page = Page::new(app.title.clone());
    page.push(Block::Notice(Notice::Error(message)));
    page.push(Block::Paragraph(vec![
        Inline::link(format!("/apps/{}/", app.id), cat.t("apps.app_top")),
        Inline::text(" | "),
        Inline::link("/apps", cat.t("apps.title")),
    ]));
    page.menu = menu(cat, true);
    visitor.page_with_status(&page, status)
}

fn fetch_problem(visitor: &Visitor, app: &App, e: &FetchError) -> HttpResponse {
    tracing::warn!(app.id = app.id.0, error.cause = %e, "app proxy: fetch failed");
    let cat = visitor.cat();
    let (key, status) = match e {
        FetchError::Refused(_) | FetchError::Https => ("apps.error_refused", StatusCode::FORBIDDEN),
        FetchError::Timeout(_) => ("apps.error_timeout", StatusCode::GATEWAY_TIMEOUT),
        FetchError::TooLarge(_) => ("apps.error_too_large", StatusCode::BAD_GATEWAY),
        _ => ("apps.error_unreachable", StatusCode::BAD_GATEWAY),
    };
    app_problem(visitor, app, cat.t(key).into(), status)
}

fn client_ip(visitor: &Visitor, req: &HttpRequest) -> IpAddr {
    let peer = req.peer_addr().map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip());
    let h = |n: &str| req.headers().get(n).map(actix_web::http::header::HeaderValue::as_bytes);
    ashiato_handset::client_ip(
        peer,
        h("x-forwarded-for"),
        h("x-real-ip"),
        &visitor.state().trust.proxies,
    )
}

/// `GET|POST /apps/{id}/[?url=…]`: the app's page, fetched with a signed request, rewritten
/// and re-encoded for the handset.
pub async fn run(
    Member { visitor, id: me, .. }: Member,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let app = load_app(&visitor, AppId(*id)).await?;
    let app_id = app.id;
    if !visitor.state().run(move |c| apps::is_installed(c, app_id, me)).await? {
        return Ok(visitor.redirect(&format!("/apps/{app_id}/about")));
    }
    let cat = visitor.cat();
    let target = match target_of(req.query_string(), &app.start_url) {
        Ok(t) => t,
        Err(why) => {
            return Err(WebError::BadRequest(why));
        }
    };
    let policy = policy(&visitor, &app);
    let is_post = req.method() == actix_web::http::Method::POST;
    if is_post {
        // Only forms of pages we rewrote carry the member's token, in the query string (the
        // body is the app's own, forwarded as it came).
        let token = ashiato_opensocial::oauth::parse_form(req.query_string().as_bytes())
            .into_iter()
            .find(|(k, _)| k == CSRF_PARAM.as_bytes())
            .map(|(_, v)| String::from_utf8_lossy(&v).into_owned());
        visitor.check_csrf(token.as_deref())?;
    }
    if is_post && body.len() > MAX_FORWARD_BODY {
        return Ok(app_problem(
            &visitor,
            &app,
            cat.t("apps.error_form_too_large").into(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ));
    }
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let nonce = oauth::random_nonce().map_err(WebError::internal)?;
    let st = visitor.state();
    let rsa = st.container_keys.for_app(&st.db, &app).await.map_err(WebError::internal)?;
    let me_s = me.0.to_string();
    let app_id_s = app.id.to_string();
    let forward = osproxy::prepare_forward(
        req.method().as_str(),
        &target,
        is_post.then(|| (body.as_ref(), content_type.as_deref())),
        &ForwardIdentity {
            app_id: &app_id_s,
            owner_id: &me_s,
            viewer_id: Some(&me_s),
            app_url: (!app.gadget_url.is_empty()).then_some(app.gadget_url.as_str()),
        },
        &keys::consumer(&app, rsa.as_deref()),
        &nonce,
        now().0 / 1000,
    );
    let forward = match forward {
        Ok(f) => f,
        Err(e) => return Ok(fetch_problem(&visitor, &app, &FetchError::Refused(e))),
    };
    let incoming: Vec<(String, Vec<u8>)> =
        req.headers().iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())).collect();
    let mut headers = osproxy::forward_headers(&incoming, client_ip(&visitor, &req));
    headers.push(("Authorization".into(), forward.authorization.clone().into_bytes()));
    if let Some(ct) = &forward.content_type {
        headers.push(("Content-Type".into(), ct.clone().into_bytes()));
    }
    let out = Outbound { method: forward.method, url: forward.url, headers, body: forward.body };
    let resp = match client::send(&out, &policy, client::PAGE_TIMEOUT, MAX_PAGE_BYTES).await {
        Ok(r) => r,
        Err(e) => return Ok(fetch_problem(&visitor, &app, &e)),
    };
    if let Some(location) = resp.redirect_location() {
        // The app's redirect goes to the handset, through the proxy, if it stays on the app.
        return match resp.url.join(&location) {
            Ok(next)
                if osproxy::check_target(
                    next.as_str(),
                    &policy.registered,
                    &policy.allow_private,
                )
                .is_ok() =>
            {
                Ok(visitor.redirect(&format!(
                    "/apps/{}/?url={}",
                    app.id,
                    oauth::percent_encode(next.as_str().as_bytes())
                )))
            }
            _ => Ok(app_problem(
                &visitor,
                &app,
                cat.t("apps.error_offsite").into(),
                StatusCode::BAD_GATEWAY,
            )),
        };
    }
    if !(200..300).contains(&resp.status) {
        tracing::warn!(
            app.id = app.id.0,
            http.status = resp.status,
            "app proxy: app answered an error"
        );
        return Ok(app_problem(
            &visitor,
            &app,
            cat.f("apps.error_status", &[("status", &resp.status.to_string())]),
            StatusCode::BAD_GATEWAY,
        ));
    }
    let page = match rewrite_page(&visitor, &app, &resp) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(app.id = app.id.0, error.cause = %e, "app proxy: page not rewritten");
            let key = match e {
                ProxyError::NotHtml(_) => "apps.error_not_html",
                ProxyError::TooLarge(_) => "apps.error_too_large",
                _ => "apps.error_unreadable",
            };
            return Ok(app_problem(&visitor, &app, cat.t(key).into(), StatusCode::BAD_GATEWAY));
        }
    };
    Ok(visitor.page(&page))
}

/// The rewritten app page inside the container's header and footer.
fn rewrite_page(visitor: &Visitor, app: &App, resp: &client::Response) -> Result<Page, ProxyError> {
    let extra = visitor.link_query();
    let csrf = visitor.session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default();
    let base = format!("/apps/{}/", app.id);
    let proxy_link = |u: &Url| {
        let mut params = Vec::new();
        params.extend(extra.iter().filter(|(k, _)| k == "guid").cloned());
        params.push(("url".to_owned(), u.to_string()));
        params.extend(extra.iter().filter(|(k, _)| k != "guid").cloned());
        params.push((CSRF_PARAM.to_owned(), csrf.clone()));
        ProxyLink { path: base.clone(), params }
    };
    let secret = &visitor.state().secret;
    let image_link = |u: &Url| Some(image_url(secret, app.id, u));
    let pseudo_link = |p: &PseudoLink| {
        // Only the friend picker exists; other pseudo links lose their link.
        if p.scheme != "invite" {
            return None;
        }
        let mut link = container_pseudo_link(&format!("/apps/{}", app.id), p)?;
        link.params.extend(extra.iter().cloned());
        Some(link)
    };
    let opts = RewriteOptions {
        app_hosts: &app.allowed_hosts,
        proxy_link: &proxy_link,
        image_link: &image_link,
        pseudo_link: &pseudo_link,
        emoji_carrier: app_emoji_carrier(visitor.handset.carrier),
        max_input_bytes: MAX_PAGE_BYTES,
        max_output_bytes: osproxy::DEFAULT_MAX_OUTPUT_BYTES,
    };
    let ct = resp.header("content-type");
    let rewritten = osproxy::rewrite(&resp.body, ct.as_deref(), &resp.url, &opts)?;
    let cat = visitor.cat();
    let title = rewritten.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let mut page = Page::new(title.unwrap_or(&app.title).chars().take(60).collect::<String>());
    page.push(Block::Paragraph(vec![
        Inline::Strong(cat.t("apps.app_label").into()),
        Inline::text(" "),
        Inline::link(format!("/apps/{}/about", app.id), app.title.clone()),
    ]));
    // Pieces of about an eighth of the budget pack parts well; one too large for any part of
    // this handset's page is replaced by a note rather than dropped silently.
    let budget = visitor.target.budget;
    for piece in split_markup(&rewritten.body, (budget / 8).max(256)) {
        if piece.len() > budget * 6 / 10 {
            page.push(Block::Notice(Notice::Error(cat.t("apps.piece_too_large").into())));
        } else {
            page.push(Block::Markup(piece));
        }
    }
    page.push(Block::Paragraph(vec![
        Inline::link(format!("/apps/{}/", app.id), cat.t("apps.app_top")),
        Inline::text(" | "),
        Inline::link("/apps", cat.t("apps.title")),
    ]));
    page.menu = menu(cat, true);
    Ok(page)
}

/// `?url=&sig=` of the image proxy.
#[derive(Debug, Deserialize)]
pub struct ImageQuery {
    url: String,
    sig: String,
}

/// `GET /apps/{id}/img?url=…&sig=…`: an app's image, fetched (5 s, 1 MiB, redirects checked)
/// and made into the variant this handset can show, by the same pipeline as photos.
pub async fn image(
    visitor: Visitor,
    id: web::Path<i64>,
    q: web::Query<ImageQuery>,
) -> Result<HttpResponse, WebError> {
    let id = AppId(*id);
    if !image_signature_ok(&visitor.state().secret, id, &q.url, &q.sig) {
        return Err(WebError::NotFound);
    }
    let app = load_app(&visitor, id).await?;
    let policy = policy(&visitor, &app);
    let resp = client::get_following(&q.url, &[], &policy, client::IMAGE_TIMEOUT, MAX_IMAGE_BYTES)
        .await
        .map_err(|e| {
            tracing::warn!(app.id = id.0, error.cause = %e, "app image: fetch failed");
            WebError::NotFound
        })?;
    if resp.status != 200 {
        return Err(WebError::NotFound);
    }
    let variant = Variant::for_handset(&visitor.handset);
    let made = web::block(move || -> Result<(Vec<u8>, &'static str), ashiato_image::ImageError> {
        let limits = ashiato_image::Limits {
            max_bytes: MAX_IMAGE_BYTES,
            max_pixels: 4_000_000,
            ..ashiato_image::Limits::default()
        };
        let master = ashiato_image::ingest(&resp.body, &limits)?;
        let bytes = ashiato_image::make_variant(&master.bytes, &variant)?;
        let mime = ashiato_image::sniff(&bytes)
            .map_or("application/octet-stream", |h| h.format.mime_type());
        Ok((bytes, mime))
    })
    .await
    .map_err(WebError::internal)?;
    let (bytes, mime) = made.map_err(|e| {
        tracing::warn!(app.id = id.0, error.cause = %e, "app image: not an image we can show");
        WebError::NotFound
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(bytes))
}

/// `?callback=` of the friend picker.
#[derive(Debug, Default, Deserialize)]
pub struct InviteQuery {
    #[serde(default)]
    callback: String,
}

/// The callback must be on the app's hosts, or the picker would redirect anywhere.
fn checked_callback(visitor: &Visitor, app: &App, callback: &str) -> Option<Url> {
    let p = policy(visitor, app);
    osproxy::check_target(callback, &p.registered, &p.allow_private).ok()
}

/// `GET /apps/{id}/invite?callback=…`: `invite:friends` from an app page — pick friends.
pub async fn invite_form(
    Member { mut visitor, id: me, .. }: Member,
    id: web::Path<i64>,
    q: SjisQuery<InviteQuery>,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let app = load_app(&visitor, AppId(*id)).await?;
    let callback = checked_callback(&visitor, &app, &q.callback)
        .map(|u| u.to_string())
        .unwrap_or_else(|| app.start_url.clone());
    let candidates =
        ashiato_app::apps::installs::friends_without(visitor.state(), app.id, me).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.f("apps.invite_title", &[("title", &app.title)]));
    if candidates.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("apps.invite_nobody"))]));
        page.push(Block::Paragraph(vec![Inline::link(
            format!("/apps/{}/", app.id),
            cat.t("apps.app_top"),
        )]));
    } else {
        let mut fields: Vec<Field> = candidates
            .iter()
            .map(|f| {
                Field::new(
                    format!("invite_{}", f.id),
                    f.nickname.clone(),
                    FieldKind::Checkbox(false),
                )
            })
            .collect();
        fields.push(Field::hidden("callback", callback));
        page.push(post_form(format!("/apps/{}/invite", app.id), fields, cat.t("apps.invite_send")));
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `POST /apps/{id}/invite`: tells the chosen friends by message and sends the member back to
/// the app's callback with `invite_member=id1,id2`.
pub async fn invite(
    MemberPosted { member: Member { visitor, id: me, nickname }, form: data }: MemberPosted<
        FormData,
    >,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    use ashiato_app::apps::installs;
    let app = load_app(&visitor, AppId(*id)).await?;
    let callback = checked_callback(&visitor, &app, &data.text("callback"))
        .ok_or_else(|| WebError::BadRequest("callback not on the app's hosts".into()))?;
    let chosen: Vec<MemberId> = installs::friends_without(visitor.state(), app.id, me)
        .await?
        .into_iter()
        .filter(|f| data.has(&format!("invite_{}", f.id)))
        .map(|f| f.id)
        .collect();
    if !chosen.is_empty() {
        let cat = visitor.cat();
        let subject = cat.f("apps.invite_subject", &[("title", &app.title)]);
        let body = cat.f(
            "apps.invite_body",
            &[
                ("nickname", &nickname),
                ("title", &app.title),
                ("url", &format!("{}/apps/{}/about", visitor.state().config.base_url(), app.id)),
            ],
        );
        let invitation =
            installs::Invitation { from: (me, nickname), to: chosen.clone(), subject, body };
        installs::invite(visitor.state(), invitation).await?;
    }
    let mut back = callback;
    let ids: Vec<String> = chosen.iter().map(|m| m.0.to_string()).collect();
    back.query_pairs_mut().append_pair("invite_member", &ids.join(","));
    Ok(visitor.redirect(&format!(
        "/apps/{}/?url={}",
        app.id,
        oauth::percent_encode(back.as_str().as_bytes())
    )))
}
