//! What members do with apps: install and remove them (the app hears of it through the
//! lifecycle worker), and invite friends who do not have them yet.

use ashiato_core::{AppId, MemberId};
use ashiato_store::apps::{self, App as AppRow};
use ashiato_store::friends::{self, MemberSummary};

use super::registry;
use crate::{App, AppResult, now};

/// Most friends offered in the invitation picker (mixi capped friend lists at 1000).
const MAX_FRIENDS: i64 = 1000;

/// Installs (`install`) or removes the app for `me`; when that changed anything, the
/// lifecycle worker is woken to tell the app. Returns whether it changed.
pub async fn change(app: &App, row: &AppRow, me: MemberId, install: bool) -> AppResult<bool> {
    let (a, t) = (row.clone(), now());
    let changed = app
        .run(move |c| {
            if install {
                registry::install(c, &a, me, t)
            } else {
                registry::uninstall(c, &a, me, t)
            }
        })
        .await?;
    if changed {
        app.lifecycle.wake();
        tracing::info!(app.id = row.id.0, installed = install, "app installation changed");
    }
    Ok(changed)
}

/// `me`'s friends who have not installed the app.
pub async fn friends_without(
    app: &App,
    app_id: AppId,
    me: MemberId,
) -> AppResult<Vec<MemberSummary>> {
    app.run(move |c| {
        let all = friends::list_friends(c, me, MAX_FRIENDS, 0)?;
        let ids: Vec<MemberId> = all.iter().map(|f| f.id).collect();
        let have = apps::installed_among(c, app_id, &ids)?;
        Ok(all.into_iter().filter(|f| !have.contains(&f.id)).collect())
    })
    .await
}

/// An invitation to an app, as the message each chosen friend receives.
#[derive(Clone, Debug)]
pub struct Invitation {
    /// The inviting member and their nickname.
    pub from: (MemberId, String),
    /// The friends invited.
    pub to: Vec<MemberId>,
    /// The message's subject.
    pub subject: String,
    /// The message's text.
    pub body: String,
}

/// Sends the invitation as one message to each friend (with their notification mails), all
/// or none.
pub async fn invite(app: &App, invitation: Invitation) -> AppResult<()> {
    let (config, t) = (app.config.clone(), now());
    app.write(move |c| {
        let Invitation { from: (me, nickname), to, subject, body } = &invitation;
        for m in to {
            crate::mail::send_message(c, &config, (*me, nickname), *m, subject, body, None, t)?;
        }
        Ok(())
    })
    .await
}
