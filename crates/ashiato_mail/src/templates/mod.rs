//! Notification texts, one file per language. Placeholders in braces are filled in one pass
//! (a nickname containing `{link}` stays as typed). Keep the wording short: a keitai screen
//! shows about 8–12 full-width characters per line and people pay per packet.
//!
//! Placeholders: `{actor}` nickname of whoever acted, `{diary}` diary title, `{community}`,
//! `{topic}`, `{excerpt}` short quote, `{link}` URL of the page, `{site}` site name,
//! `{settings}` URL of the notification settings, `{minutes}` and `{days}` how long an account
//! mail's link lives.

mod en;
mod ja;

/// Subject and body of one kind of notification.
pub(crate) struct Template {
    pub subject: &'static str,
    pub body: &'static str,
}

/// All texts of one language.
pub(crate) struct Texts {
    pub friend_request: Template,
    pub friend_accepted: Template,
    pub new_message: Template,
    pub diary_comment: Template,
    pub community_topic: Template,
    /// Account mails (`{minutes}`, `{days}`: how long the link lives).
    pub password_reset: Template,
    pub confirm_address: Template,
    pub invitation: Template,
    pub operator_invitation: Template,
    pub join_link: Template,
    /// After every body: site name and, when there is a settings link, how to stop these mails.
    pub footer: &'static str,
    /// The footer line with the settings link.
    pub footer_settings: &'static str,
}

/// The language of a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Japanese (default).
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    pub(crate) fn texts(self) -> &'static Texts {
        match self {
            Lang::Ja => &ja::TEXTS,
            Lang::En => &en::TEXTS,
        }
    }
}

/// Fills `{name}` placeholders from `values` in one left-to-right pass; unknown names stay.
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_is_one_pass() {
        assert_eq!(fill("{a}-{b}", &[("a", "{b}"), ("b", "x")]), "{b}-x");
        assert_eq!(fill("{unknown} {", &[]), "{unknown} {");
    }

    #[test]
    fn every_template_uses_link() {
        for lang in [Lang::Ja, Lang::En] {
            let t = lang.texts();
            for tpl in [
                &t.friend_request,
                &t.friend_accepted,
                &t.new_message,
                &t.diary_comment,
                &t.community_topic,
                &t.password_reset,
                &t.confirm_address,
                &t.invitation,
                &t.operator_invitation,
                &t.join_link,
            ] {
                assert!(tpl.body.contains("{link}"), "{}", tpl.subject);
                assert!(!tpl.subject.contains('\n'));
            }
            assert!(t.footer_settings.contains("{settings}"));
        }
    }
}
