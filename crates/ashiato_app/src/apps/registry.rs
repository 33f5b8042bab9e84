//! Registering apps from their gadget XML, and installing them for members. Shared by the web
//! pages and the `ashiato app` commands, so both apply the same checks.

use ashiato_core::{AppId, MemberId, Timestamp};
use ashiato_opensocial::gadget::{self, Gadget};
use ashiato_opensocial::proxy::ProxyError;
use ashiato_store::{AnyConnection, Db, StoreError, StoreResult, apps};
use base64::Engine as _;
use url::Url;

use super::client::{self, FetchError, HostPolicy};

/// Largest gadget spec fetched or uploaded (the parser's own cap).
pub const MAX_SPEC_BYTES: usize = 256 * 1024;

/// `Require`d features an app may name. The Social API versions are served; the gadget
/// JavaScript features only matter to a PC canvas, which keitai apps do not use, so requiring
/// them does not stop a keitai app from running.
pub const SUPPORTED_FEATURES: &[&str] = &[
    "opensocial-0.7",
    "opensocial-0.8",
    "opensocial-0.9",
    "opensocial-1.0",
    "opensocial-1.1",
    "opensocial",
    "osapi",
    "views",
    "dynamic-height",
    "settitle",
    "setprefs",
    "minimessage",
    "tabs",
    "flash",
    "skins",
    "rpc",
    "locked-domain",
];

/// Where a gadget spec comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Fetched from this URL (through the same SSRF checks as the proxy).
    Url(String),
    /// Uploaded bytes (its URLs must be absolute).
    Xml(Vec<u8>),
}

/// Why a gadget could not be registered. Each message is one line a member or an operator can
/// act on.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The spec URL is not one the container may fetch.
    #[error("the gadget URL cannot be used: {0}")]
    Fetch(#[from] FetchError),
    /// The app server answered with an error status.
    #[error("the gadget URL answered HTTP {0}")]
    Status(u16),
    /// Not a gadget, or malformed XML (with the line and column).
    #[error("the gadget XML is not valid: {0}")]
    Gadget(#[from] gadget::GadgetError),
    /// No keitai view.
    #[error("the gadget has no mobile view (Content type=\"url\" view=\"mobile\" href=…)")]
    NoMobileView,
    /// The start URL is not an absolute http URL.
    #[error("the mobile start URL {0:?} is not an absolute http:// URL")]
    BadStartUrl(String),
    /// Features the container does not offer.
    #[error("the gadget requires features ashiato does not offer: {0}")]
    Unsupported(String),
    /// Storage failed.
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A registered app's identity and credentials (shown once to whoever registered it).
#[derive(Clone, Debug)]
pub struct Registration {
    /// App id.
    pub app_id: AppId,
    /// Title.
    pub title: String,
    /// OAuth consumer key.
    pub consumer_key: String,
    /// OAuth consumer secret.
    pub consumer_secret: String,
    /// Keitai start URL.
    pub start_url: String,
    /// `HMAC-SHA1` or `RSA-SHA1`.
    pub signature_method: String,
}

/// A checked gadget, ready to store.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Title (message bundle substituted).
    pub title: String,
    /// Description.
    pub description: String,
    /// Spec URL, or "" for an upload.
    pub gadget_url: String,
    /// The spec as text.
    pub gadget_xml: String,
    /// Keitai start URL.
    pub start_url: String,
    /// Hosts the proxy may fetch: those of the spec, the start URL and lifecycle links.
    pub hosts: Vec<String>,
    /// `event.addapp` receiver.
    pub addapp_url: Option<String>,
    /// `event.removeapp` receiver.
    pub removeapp_url: Option<String>,
    /// `GET` or `POST`.
    pub event_method: String,
    /// How the container signs requests to the app: `HMAC-SHA1` (default) or `RSA-SHA1`.
    pub signature_method: String,
}

fn http_url(s: &str) -> Option<Url> {
    Url::parse(s).ok().filter(|u| u.scheme() == "http" || u.scheme() == "https")
}

/// Parses and checks a gadget spec (no I/O).
///
/// # Errors
/// [`RegisterError`] naming what is wrong.
pub fn prepare(xml: &[u8], spec_url: Option<&Url>) -> Result<Prepared, RegisterError> {
    let mut g: Gadget = gadget::parse(xml)?;
    if let Some(u) = spec_url {
        g.resolve_urls(u);
    }
    let missing = g.unsupported_required(SUPPORTED_FEATURES);
    if !missing.is_empty() {
        return Err(RegisterError::Unsupported(missing.join(", ")));
    }
    let start = g.mobile_start_url(spec_url).ok_or(RegisterError::NoMobileView)?;
    let start_url = http_url(&start).ok_or(RegisterError::BadStartUrl(start.clone()))?;
    let msgs = g.messages("ja", "JP");
    let subs = gadget::Substitutions { msgs, ..gadget::Substitutions::default() };
    let text = |s: &Option<String>| gadget::substitute(s.as_deref().unwrap_or(""), &subs);
    let mut title = text(&g.prefs.title).trim().to_owned();
    if title.is_empty() {
        title = start_url.host_str().unwrap_or("app").to_owned();
    }
    let title: String = title.chars().take(100).collect();
    let description: String = text(&g.prefs.description).trim().chars().take(1000).collect();
    let link = |kind: &str| {
        g.lifecycle_links()
            .into_iter()
            .find(|l| l.receives(kind) && http_url(&l.href).is_some())
            .map(|l| (l.href.clone(), l.method.clone()))
    };
    let add = link("addapp");
    let remove = link("removeapp");
    let event_method = add
        .as_ref()
        .or(remove.as_ref())
        .and_then(|(_, m)| m.clone())
        .filter(|m| m == "POST")
        .unwrap_or_else(|| "GET".into());
    let mut hosts: Vec<String> = Vec::new();
    let urls = spec_url
        .cloned()
        .into_iter()
        .chain([start_url.clone()])
        .chain(add.iter().chain(remove.iter()).filter_map(|(h, _)| http_url(h)));
    for u in urls {
        if let Some(h) = u.host_str().map(str::to_ascii_lowercase)
            && !hosts.contains(&h)
        {
            hosts.push(h);
        }
    }
    Ok(Prepared {
        title,
        description,
        gadget_url: spec_url.map(ToString::to_string).unwrap_or_default(),
        gadget_xml: String::from_utf8_lossy(xml).into_owned(),
        start_url: start_url.to_string(),
        hosts,
        addapp_url: add.map(|(h, _)| h),
        removeapp_url: remove.map(|(h, _)| h),
        event_method,
        signature_method: "HMAC-SHA1".into(),
    })
}

/// Fetches a spec through the SSRF checks (its own host is the only one allowed).
///
/// # Errors
/// [`RegisterError::Fetch`], [`RegisterError::Status`].
pub async fn fetch_spec(
    url: &str,
    allow_private: &[String],
) -> Result<(Url, Vec<u8>), RegisterError> {
    let host = Url::parse(url.trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .ok_or(FetchError::Refused(ProxyError::BadUrl))?;
    let policy = HostPolicy { registered: vec![host], allow_private: allow_private.to_vec() };
    let resp =
        client::get_following(url.trim(), &[], &policy, client::PAGE_TIMEOUT, MAX_SPEC_BYTES)
            .await?;
    if resp.status != 200 {
        return Err(RegisterError::Status(resp.status));
    }
    Ok((resp.url, resp.body))
}

/// Random URL-safe text of `N` random bytes.
fn random_token<const N: usize>() -> StoreResult<String> {
    let bytes: [u8; N] = ashiato_store::db::random_bytes()?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Stores a prepared app with fresh credentials.
///
/// # Errors
/// Storage errors.
pub fn store(
    conn: &mut AnyConnection,
    p: &Prepared,
    registered_by: Option<MemberId>,
    review_state: &str,
    now: Timestamp,
) -> StoreResult<Registration> {
    let consumer_key = random_token::<12>()?;
    let consumer_secret = random_token::<24>()?;
    let app_id = apps::create(
        conn,
        &apps::NewApp {
            title: &p.title,
            description: &p.description,
            gadget_url: &p.gadget_url,
            gadget_xml: &p.gadget_xml,
            start_url: &p.start_url,
            allowed_hosts: &p.hosts,
            consumer_key: &consumer_key,
            consumer_secret: &consumer_secret,
            addapp_url: p.addapp_url.as_deref(),
            removeapp_url: p.removeapp_url.as_deref(),
            event_method: &p.event_method,
            signature_method: &p.signature_method,
            registered_by,
            review_state,
        },
        now,
    )?;
    Ok(Registration {
        app_id,
        title: p.title.clone(),
        consumer_key,
        consumer_secret,
        start_url: p.start_url.clone(),
        signature_method: p.signature_method.clone(),
    })
}

/// Fetches (or takes) a spec, checks it and registers the app (signed with RSA-SHA1 by the
/// container's key when `rsa_sha1`, else HMAC-SHA1 with the issued secret).
///
/// # Errors
/// [`RegisterError`].
pub async fn register(
    db: &Db,
    source: Source,
    rsa_sha1: bool,
    allow_private: &[String],
    registered_by: Option<MemberId>,
    review_state: &'static str,
    now: Timestamp,
) -> Result<Registration, RegisterError> {
    let mut prepared = match source {
        Source::Url(u) => {
            let (url, xml) = fetch_spec(&u, allow_private).await?;
            prepare(&xml, Some(&url))?
        }
        Source::Xml(xml) => prepare(&xml, None)?,
    };
    if rsa_sha1 {
        prepared.signature_method = "RSA-SHA1".into();
    }
    let db = db.clone();
    let reg = tokio::task::spawn_blocking(move || {
        let mut conn = db.conn()?;
        store(&mut conn, &prepared, registered_by, review_state, now)
    })
    .await
    .map_err(|e| StoreError::Unavailable(format!("blocking task: {e}")))??;
    Ok(reg)
}

/// Installs an app for a member and queues its `event.addapp`, in one transaction. `false` if
/// it was installed already (nothing queued).
///
/// # Errors
/// Storage errors.
pub fn install(
    conn: &mut AnyConnection,
    app: &apps::App,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<bool> {
    ashiato_store::write(conn, |c| {
        let new = apps::install(c, app.id, member, now)?;
        if new && app.addapp_url.is_some() {
            apps::enqueue_event(c, app.id, member, "event.addapp", now)?;
        }
        Ok(new)
    })
}

/// Uninstalls an app (its data for the member goes too) and queues `event.removeapp`.
///
/// # Errors
/// Storage errors.
pub fn uninstall(
    conn: &mut AnyConnection,
    app: &apps::App,
    member: MemberId,
    now: Timestamp,
) -> StoreResult<bool> {
    ashiato_store::write(conn, |c| {
        let gone = apps::uninstall(c, app.id, member)?;
        if gone && app.removeapp_url.is_some() {
            apps::enqueue_event(c, app.id, member, "event.removeapp", now)?;
        }
        Ok(gone)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Module>
  <ModulePrefs title="__MSG_title__" description="占い">
    <Require feature="opensocial-0.8"/>
    <Locale lang="ja"><msg name="title">今日の占い</msg></Locale>
    <Link rel="event.addapp" href="/events" method="POST"/>
    <Link rel="event.removeapp" href="http://events.example/remove" method="POST"/>
  </ModulePrefs>
  <Content type="html" view="canvas"><![CDATA[<p>PC</p>]]></Content>
  <Content type="url" view="mobile" href="/m/start"/>
</Module>"#;

    #[test]
    fn a_spec_gives_title_start_url_hosts_and_lifecycle_links() {
        let url = Url::parse("http://app.example/gadget.xml").expect("url");
        let p = prepare(SPEC.as_bytes(), Some(&url)).expect("valid");
        assert_eq!(p.title, "今日の占い");
        assert_eq!(p.description, "占い");
        assert_eq!(p.start_url, "http://app.example/m/start");
        assert_eq!(p.hosts, ["app.example", "events.example"]);
        assert_eq!(p.addapp_url.as_deref(), Some("http://app.example/events"));
        assert_eq!(p.removeapp_url.as_deref(), Some("http://events.example/remove"));
        assert_eq!(p.event_method, "POST");
    }

    #[test]
    fn refusals_say_why() {
        let err = prepare(SPEC.as_bytes(), None).expect_err("relative start URL");
        assert!(matches!(err, RegisterError::BadStartUrl(ref s) if s == "/m/start"), "{err}");
        let no_mobile = SPEC.replace("view=\"mobile\"", "view=\"home\"");
        let url = Url::parse("http://app.example/g.xml").expect("url");
        let err = prepare(no_mobile.as_bytes(), Some(&url)).expect_err("no mobile view");
        assert!(matches!(err, RegisterError::NoMobileView), "{err}");
        let needs = SPEC.replace("opensocial-0.8", "opensocial-templates");
        let err = prepare(needs.as_bytes(), Some(&url)).expect_err("unsupported");
        assert!(err.to_string().contains("opensocial-templates"), "{err}");
        let broken = SPEC.replace("</ModulePrefs>", "");
        let err = prepare(broken.as_bytes(), Some(&url)).expect_err("malformed");
        assert!(err.to_string().contains("line "), "{err}");
    }
}
