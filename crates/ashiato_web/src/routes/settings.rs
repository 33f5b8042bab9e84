//! `/settings`: profile and its scopes, diary default, stealth footsteps, search opt-out,
//! language, password, withdrawal.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use ashiato_app::AppError;
use ashiato_app::accounts::{self as uc, SettingsDraft};
use ashiato_app::photos::UploadProblem;
use ashiato_core::account::{self, AREA_MAX, INTRODUCTION_MAX, Profile};
use ashiato_core::{Invalid, Problem, Scope, text};
use ashiato_render::page::{Block, Field, FieldKind, Inline, InputMode, Notice, Page};
use ashiato_store::accounts::Member as Account;
use ashiato_store::members::{FreeField, Settings};
use serde::Deserialize;

use crate::error::WebError;
use crate::form::{FormData, MemberPosted, SjisForm};
use crate::routes::{attach_errors, menu, post_form, scope_options};
use crate::visitor::{Member, Visitor};

/// How many free profile fields a member may have.
const FREE_FIELDS: usize = 3;
/// Longest free-field label and value.
const FREE_LABEL_MAX: usize = 20;
const FREE_VALUE_MAX: usize = 200;

/// Everything on the settings form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    introduction: String,
    #[serde(default)]
    introduction_scope: String,
    #[serde(default)]
    birthday: String,
    #[serde(default)]
    birthday_scope: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    area_scope: String,
    #[serde(default)]
    friends_scope: String,
    #[serde(default)]
    default_scope: String,
    #[serde(default)]
    stealth: Option<String>,
    #[serde(default)]
    hide_from_search: Option<String>,
    #[serde(default)]
    language: String,
    #[serde(default)]
    label1: String,
    #[serde(default)]
    value1: String,
    #[serde(default)]
    scope1: String,
    #[serde(default)]
    label2: String,
    #[serde(default)]
    value2: String,
    #[serde(default)]
    scope2: String,
    #[serde(default)]
    label3: String,
    #[serde(default)]
    value3: String,
    #[serde(default)]
    scope3: String,
}

impl SettingsForm {
    /// The form filled in with what is saved.
    fn of(m: &Account, free: &[FreeField]) -> SettingsForm {
        let get = |n: usize| {
            free.get(n).cloned().unwrap_or(FreeField {
                label: String::new(),
                value: String::new(),
                scope: Scope::Friends,
            })
        };
        let (f1, f2, f3) = (get(0), get(1), get(2));
        SettingsForm {
            nickname: m.nickname.clone(),
            introduction: m.profile.introduction.clone(),
            introduction_scope: m.profile.introduction_scope.as_str().into(),
            birthday: m
                .profile
                .birthday
                .map(|(y, mo, d)| format!("{y:04}-{mo:02}-{d:02}"))
                .unwrap_or_default(),
            birthday_scope: m.profile.birthday_scope.as_str().into(),
            area: m.profile.area.clone(),
            area_scope: m.profile.area_scope.as_str().into(),
            friends_scope: m.friends_scope.as_str().into(),
            default_scope: m.default_diary_scope.as_str().into(),
            stealth: m.stealth_footsteps.then(|| "1".into()),
            hide_from_search: m.search_opt_out.then(|| "1".into()),
            language: m.language.clone(),
            label1: f1.label,
            value1: f1.value,
            scope1: f1.scope.as_str().into(),
            label2: f2.label,
            value2: f2.value,
            scope2: f2.scope.as_str().into(),
            label3: f3.label,
            value3: f3.value,
            scope3: f3.scope.as_str().into(),
        }
    }

    fn free(&self) -> [(&str, &str, &str, &'static str, &'static str, &'static str); FREE_FIELDS] {
        [
            (&self.label1, &self.value1, &self.scope1, "label1", "value1", "scope1"),
            (&self.label2, &self.value2, &self.scope2, "label2", "value2", "scope2"),
            (&self.label3, &self.value3, &self.scope3, "label3", "value3", "scope3"),
        ]
    }
}

fn settings_page(visitor: &Visitor, f: &SettingsForm, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("settings.title"));
    if !errors.is_empty() {
        page.push(Block::Notice(Notice::Error(cat.t("form.fix_errors").into())));
    }
    let scope = |name: &str, label: &str, selected: &str| {
        Field::new(
            name,
            label,
            FieldKind::Select { options: scope_options(cat), selected: selected.into() },
        )
    };
    let line = |name: &str, label: &str, value: &str, max: usize| {
        Field::new(
            name,
            label,
            FieldKind::Text {
                value: value.into(),
                max_chars: Some(max),
                mode: InputMode::Hiragana,
            },
        )
    };
    let mut fields = vec![
        line("nickname", cat.t("field.nickname"), &f.nickname, account::NICKNAME_MAX),
        Field::new(
            "introduction",
            cat.t("profile.introduction"),
            FieldKind::TextArea { value: f.introduction.clone(), rows: 5 },
        ),
        scope("introduction_scope", cat.t("settings.shown_to"), &f.introduction_scope),
        Field::new(
            "birthday",
            cat.t("settings.birthday"),
            FieldKind::Text {
                value: f.birthday.clone(),
                max_chars: Some(10),
                mode: InputMode::Numeric,
            },
        ),
        scope("birthday_scope", cat.t("settings.shown_to"), &f.birthday_scope),
        line("area", cat.t("profile.area"), &f.area, AREA_MAX),
        scope("area_scope", cat.t("settings.shown_to"), &f.area_scope),
    ];
    for (n, (label, value, sc, ln, vn, sn)) in f.free().into_iter().enumerate() {
        let num = (n + 1).to_string();
        fields.push(line(ln, &cat.f("settings.free_label", &[("n", &num)]), label, FREE_LABEL_MAX));
        fields.push(line(vn, &cat.f("settings.free_value", &[("n", &num)]), value, FREE_VALUE_MAX));
        fields.push(scope(
            sn,
            cat.t("settings.shown_to"),
            if sc.is_empty() { "friends" } else { sc },
        ));
    }
    fields.extend([
        scope("friends_scope", cat.t("settings.friends_scope"), &f.friends_scope),
        scope("default_scope", cat.t("settings.default_scope"), &f.default_scope),
        Field::new("stealth", cat.t("settings.stealth"), FieldKind::Checkbox(f.stealth.is_some())),
        Field::new(
            "hide_from_search",
            cat.t("settings.hide_from_search"),
            FieldKind::Checkbox(f.hide_from_search.is_some()),
        ),
        Field::new(
            "language",
            cat.t("settings.language"),
            FieldKind::Select {
                options: vec![("ja".into(), "日本語".into()), ("en".into(), "English".into())],
                selected: f.language.clone(),
            },
        ),
    ]);
    attach_errors(cat, &mut fields, errors);
    page.push(post_form("/settings", fields, cat.t("settings.save")));
    page.push(Block::List(vec![
        vec![Inline::link("/settings/photo", cat.t("photo.title"))],
        vec![Inline::link("/settings/mail", cat.t("mail.title"))],
        vec![Inline::link("/settings/easy-login", cat.t("easy.title"))],
        vec![Inline::link("/settings/password", cat.t("settings.password_title"))],
        vec![Inline::link("/settings/sessions", cat.t("sessions.title"))],
        vec![Inline::link("/settings/export", cat.t("export.title"))],
        vec![Inline::link("/settings/blocks", cat.t("block.list_title"))],
        vec![Inline::link("/settings/mutes", cat.t("mute.list_title"))],
        vec![Inline::link("/settings/withdraw", cat.t("settings.withdraw_title"))],
    ]));
    page.menu = menu(cat, true);
    page
}

/// `GET /settings`.
pub async fn show(Member { mut visitor, id: me, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let free = uc::free_fields(visitor.state(), me).await?;
    let form = visitor.member.as_ref().map(|m| SettingsForm::of(m, &free)).unwrap_or_default();
    let mut page = settings_page(&visitor, &form, &[]);
    page.flash = visitor.take_flash().await?;
    Ok(visitor.page(&page))
}

fn scope_field(errors: &mut Vec<Invalid>, field: &'static str, value: &str) -> Scope {
    Scope::parse(value).unwrap_or_else(|| {
        errors.push(Invalid { field, problem: Problem::NotAllowed });
        Scope::Private
    })
}

/// Validates everything on the settings form, reporting every bad field at once.
fn validate(f: &SettingsForm) -> Result<SettingsDraft, Vec<Invalid>> {
    let mut errors = Vec::new();
    let mut check = |field: &'static str, r: Result<String, Problem>| {
        r.map_err(|problem| errors.push(Invalid { field, problem })).unwrap_or_default()
    };
    let nickname = check("nickname", account::parse_nickname(&f.nickname));
    let introduction =
        check("introduction", text::clean_optional_multiline(&f.introduction, INTRODUCTION_MAX));
    let area = check("area", text::clean_optional_line(&f.area, AREA_MAX));
    let mut free = Vec::new();
    for (label, value, _, ln, vn, _) in f.free() {
        let label = check(ln, text::clean_optional_line(label, FREE_LABEL_MAX));
        let value = check(vn, text::clean_optional_line(value, FREE_VALUE_MAX));
        free.push((label, value));
    }
    let birthday = account::parse_birthday(&f.birthday).unwrap_or_else(|problem| {
        errors.push(Invalid { field: "birthday", problem });
        None
    });
    let profile = Profile {
        introduction,
        introduction_scope: scope_field(&mut errors, "introduction_scope", &f.introduction_scope),
        birthday,
        birthday_scope: scope_field(&mut errors, "birthday_scope", &f.birthday_scope),
        area,
        area_scope: scope_field(&mut errors, "area_scope", &f.area_scope),
    };
    let free_fields: Vec<FreeField> = free
        .into_iter()
        .zip(f.free())
        .filter(|((label, value), _)| !label.is_empty() || !value.is_empty())
        .map(|((label, value), (_, _, sc, _, _, sn))| FreeField {
            label,
            value,
            scope: scope_field(&mut errors, sn, sc),
        })
        .collect();
    let settings = Settings {
        default_diary_scope: scope_field(&mut errors, "default_scope", &f.default_scope),
        friends_scope: scope_field(&mut errors, "friends_scope", &f.friends_scope),
        stealth_footsteps: f.stealth.is_some(),
        search_opt_out: f.hide_from_search.is_some(),
        language: if f.language == "en" { "en".into() } else { "ja".into() },
    };
    if errors.is_empty() {
        Ok(SettingsDraft { nickname, profile, settings, free_fields })
    } else {
        Err(errors)
    }
}

/// `POST /settings`: validates everything, saves all of it or nothing.
pub async fn save(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<SettingsForm>,
    >,
) -> Result<HttpResponse, WebError> {
    let draft = match validate(&form) {
        Ok(draft) => draft,
        Err(errors) => {
            return Ok(visitor.page_with_status(
                &settings_page(&visitor, &form, &errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    uc::save_settings(visitor.state(), me, draft).await?;
    // The saved language applies from the next page on; the flash uses it already.
    let lang =
        ashiato_render::i18n::Lang::from_tag(if form.language == "en" { "en" } else { "ja" });
    visitor.flash(ashiato_render::i18n::Catalog::get(lang).t("settings.saved").into()).await?;
    Ok(visitor.redirect("/settings"))
}

/// Fields of the password form.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

fn password_page(visitor: &Visitor, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("settings.password_title"));
    let mut fields = vec![
        Field::new("current", cat.t("settings.current_password"), FieldKind::Password),
        Field::new("new", cat.t("settings.new_password"), FieldKind::Password),
    ];
    attach_errors(cat, &mut fields, errors);
    page.push(post_form("/settings/password", fields, cat.t("settings.save")));
    page.menu = menu(cat, true);
    page
}

/// `GET /settings/password`.
pub async fn password_form(Member { mut visitor, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    Ok(visitor.page(&password_page(&visitor, &[])))
}

/// The logged-in member's stored e-mail address ("" for anyone else).
fn email_of(visitor: &Visitor) -> String {
    visitor.member.as_ref().map(|m| m.email.clone()).unwrap_or_default()
}

/// Checks the logged-in member's current password (false for anyone else).
pub async fn current_password_ok(visitor: &Visitor, plain: String) -> Result<bool, WebError> {
    if visitor.member.is_none() {
        return Ok(false);
    }
    Ok(uc::password_ok(visitor.state(), &email_of(visitor), plain).await?)
}

/// `POST /settings/password`: needs the current password (also after an easy login); ends
/// every other session and logs this one in afresh.
pub async fn change_password(
    MemberPosted { member: Member { mut visitor, id: me, nickname }, form }: MemberPosted<
        SjisForm<PasswordForm>,
    >,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let email = email_of(&visitor);
    match uc::change_password(visitor.state(), me, &email, &nickname, form.current, form.new).await
    {
        Ok(()) => {}
        Err(AppError::Rejected(problem)) => {
            // A wrong current password, or a new one the policy refuses.
            let field = if problem == Problem::BadCredentials { "current" } else { "new" };
            let errors = [Invalid { field, problem }];
            return Ok(visitor.page_with_status(
                &password_page(&visitor, &errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(e) => return Err(e.into()),
    }
    visitor.session = None;
    visitor.login(me).await?;
    visitor.flash(visitor.cat().t("settings.password_changed").into()).await?;
    Ok(visitor.redirect("/settings"))
}

/// Fields of the withdrawal form.
#[derive(Debug, Default, Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    password: String,
}

fn withdraw_page(visitor: &Visitor, errors: &[Invalid]) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("settings.withdraw_title"));
    page.push(Block::Notice(Notice::Error(cat.t("settings.withdraw_warning").into())));
    // What goes cannot come back: the export comes first.
    page.push(Block::Paragraph(vec![Inline::link(
        "/settings/export",
        cat.t("export.before_withdraw"),
    )]));
    let mut fields = vec![Field::new("password", cat.t("field.password"), FieldKind::Password)];
    attach_errors(cat, &mut fields, errors);
    page.push(post_form("/settings/withdraw", fields, cat.t("settings.withdraw_submit")));
    page.menu = menu(cat, true);
    page
}

/// `GET /settings/blocks`: the members I blocked, each linking to the page that lifts the
/// block. Their profiles answer 404 to me as to them, so this is the way back.
pub async fn blocks(Member { mut visitor, id: me, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let blocked = visitor.state().run(move |c| ashiato_store::relation::blocked_by(c, me)).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("block.list_title"));
    if blocked.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("block.list_none"))]));
    } else {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("block.list_hint"))]));
        page.push(Block::List(
            blocked
                .iter()
                .map(|m| vec![Inline::link(format!("/m/{}/block", m.id), m.nickname.clone())])
                .collect(),
        ));
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `GET /settings/mutes`: the members I muted, each a link to lift the mute.
pub async fn mutes(Member { mut visitor, id: me, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let muted = ashiato_app::friends::muted(visitor.state(), me).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("mute.list_title"));
    if muted.is_empty() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("mute.list_none"))]));
    } else {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("mute.list_hint"))]));
        page.push(Block::List(
            muted
                .iter()
                .map(|m| vec![Inline::link(format!("/m/{}/mute", m.id), m.nickname.clone())])
                .collect(),
        ));
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// `GET /settings/withdraw`.
pub async fn withdraw_form(Member { mut visitor, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    Ok(visitor.page(&withdraw_page(&visitor, &[])))
}

/// `POST /settings/withdraw`: with the password, deletes the account and everything it wrote.
pub async fn withdraw(
    MemberPosted { member: Member { mut visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<WithdrawForm>,
    >,
) -> Result<HttpResponse, WebError> {
    let email = email_of(&visitor);
    match uc::withdraw(visitor.state(), me, &email, form.into_inner().password).await {
        Ok(()) => {}
        Err(AppError::Rejected(Problem::BadCredentials)) => {
            let errors = [Invalid { field: "password", problem: Problem::BadCredentials }];
            return Ok(visitor.page_with_status(
                &withdraw_page(&visitor, &errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(e) => return Err(e.into()),
    }
    visitor.session = None;
    visitor.member = None;
    visitor.ensure_session().await?;
    visitor.flash(visitor.cat().t("settings.withdrawn").into()).await?;
    Ok(visitor.redirect("/login"))
}

/// Whether this request's session came from an easy login.
fn easy_session(visitor: &Visitor) -> bool {
    visitor.session.as_ref().is_some_and(|s| s.easy_login)
}

/// `GET /settings/easy-login`: whether easy login is set up, and the button to change it.
pub async fn easy_login_page(
    Member { mut visitor, id: me, .. }: Member,
) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    let bound = uc::easy_login_bound(visitor.state(), me).await?;
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("easy.title"));
    page.flash = visitor.take_flash().await?;
    page.push(Block::Paragraph(vec![Inline::text(cat.t(if bound {
        "easy.on"
    } else {
        "easy.off"
    }))]));
    if visitor.subscriber_hash.is_none() {
        page.push(Block::Paragraph(vec![Inline::text(cat.t("easy.no_id"))]));
    } else if easy_session(&visitor) {
        // Binding needs a password-authenticated session (security.md §1).
        page.push(Block::Paragraph(vec![Inline::text(cat.t("easy.password_needed"))]));
    } else {
        page.push(post_form(
            "/settings/easy-login",
            vec![Field::hidden("action", "bind")],
            cat.t("easy.bind"),
        ));
    }
    if bound {
        page.push(post_form(
            "/settings/easy-login",
            vec![Field::hidden("action", "unbind")],
            cat.t("easy.unbind"),
        ));
    }
    page.menu = menu(cat, true);
    Ok(visitor.page(&page))
}

/// Fields of the easy-login form.
#[derive(Debug, Deserialize)]
pub struct EasyLoginForm {
    #[serde(default)]
    action: String,
}

/// `POST /settings/easy-login`: binds this handset's trusted subscriber ID (password sessions
/// only) or removes every binding.
pub async fn easy_login_change(
    MemberPosted { member: Member { visitor, id: me, .. }, form }: MemberPosted<
        SjisForm<EasyLoginForm>,
    >,
) -> Result<HttpResponse, WebError> {
    let cat = visitor.cat();
    match form.action.as_str() {
        "bind" => {
            let hash = visitor.subscriber_hash.clone();
            let carrier = visitor.handset.carrier.as_str().to_owned();
            let easy = easy_session(&visitor);
            uc::bind_easy_login(visitor.state(), me, hash, easy, carrier).await?;
            visitor.flash(cat.t("easy.bound").into()).await?;
        }
        "unbind" => {
            uc::unbind_easy_login(visitor.state(), me).await?;
            visitor.flash(cat.t("easy.unbound").into()).await?;
        }
        _ => return Err(WebError::BadRequest("unknown action".into())),
    }
    Ok(visitor.redirect("/settings/easy-login"))
}

/// `GET /settings/photo`: the profile photo form (handsets that cannot upload are pointed to
/// posting by mail).
pub async fn photo_form(Member { mut visitor, .. }: Member) -> Result<HttpResponse, WebError> {
    visitor.ensure_session().await?;
    Ok(visitor.page(&photo_page(&visitor, None)))
}

fn photo_page(visitor: &Visitor, problem: Option<&UploadProblem>) -> Page {
    let cat = visitor.cat();
    let mut page = Page::new(cat.t("photo.title"));
    if let Some(p) = problem {
        page.push(Block::Notice(Notice::Error(cat.t(p.message_key()).into())));
    }
    page.push(crate::routes::images::upload_form(
        visitor,
        "/settings/photo".into(),
        cat.t("photo.title"),
    ));
    page.menu = menu(cat, true);
    page
}

/// `POST /settings/photo`.
pub async fn photo_upload(
    MemberPosted { member: Member { visitor, id: me, .. }, form: data }: MemberPosted<FormData>,
) -> Result<HttpResponse, WebError> {
    let refused = |problem: &UploadProblem| {
        visitor.page_with_status(
            &photo_page(&visitor, Some(problem)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let Some(bytes) = data.file("photo") else {
        return Ok(refused(&UploadProblem::NotAnImage));
    };
    match uc::set_profile_photo(visitor.state(), me, bytes.to_vec()).await? {
        Ok(()) => {
            visitor.flash(visitor.cat().t("photo.saved").into()).await?;
            Ok(visitor.redirect(&format!("/m/{me}")))
        }
        Err(problem) => Ok(refused(&problem)),
    }
}
