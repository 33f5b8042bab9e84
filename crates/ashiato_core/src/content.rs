//! What members write: diaries, comments, messages, communities and topics, with their limits.
//!
//! Limits are in characters (an emoji counts as one). They are generous for people and tight
//! enough that a page of comments still splits into a handful of keitai pages.

use crate::error::{Invalid, Problem};
use crate::scope::Scope;
use crate::text;

/// Longest diary title.
pub const DIARY_TITLE_MAX: usize = 100;
/// A post repeating the same author's identical post within this many milliseconds is a double
/// submit (a second tap on a slow keitai link) and is not stored again.
pub const DOUBLE_SUBMIT_MS: i64 = 60_000;
/// Longest diary body.
pub const DIARY_BODY_MAX: usize = 10_000;
/// Longest comment (on a diary or a topic).
pub const COMMENT_MAX: usize = 2_000;
/// Longest message subject.
pub const MESSAGE_SUBJECT_MAX: usize = 100;
/// Longest message body.
pub const MESSAGE_BODY_MAX: usize = 5_000;
/// Longest friend-request message.
pub const REQUEST_MESSAGE_MAX: usize = 500;
/// Longest friend introduction (紹介文).
pub const INTRODUCTION_TEXT_MAX: usize = 1_000;
/// Longest community name.
pub const COMMUNITY_NAME_MAX: usize = 50;
/// Longest community description.
pub const COMMUNITY_DESCRIPTION_MAX: usize = 2_000;
/// Longest community category label.
pub const COMMUNITY_CATEGORY_MAX: usize = 30;
/// Longest topic title.
pub const TOPIC_TITLE_MAX: usize = 100;
/// Longest topic body.
pub const TOPIC_BODY_MAX: usize = 5_000;
/// Longest search query.
pub const SEARCH_MAX: usize = 40;

/// A validated diary entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiaryDraft {
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Scope.
    pub scope: Scope,
}

fn field<T>(errors: &mut Vec<Invalid>, name: &'static str, r: Result<T, Problem>) -> Option<T> {
    r.map_err(|problem| errors.push(Invalid { field: name, problem })).ok()
}

impl DiaryDraft {
    /// Validates what a member typed; every bad field is reported.
    pub fn validate(title: &str, body: &str, scope: &str) -> Result<DiaryDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let title = field(&mut errors, "title", text::clean_line(title, DIARY_TITLE_MAX));
        let body = field(&mut errors, "body", text::clean_multiline(body, DIARY_BODY_MAX));
        let scope = field(&mut errors, "scope", Scope::parse(scope).ok_or(Problem::NotAllowed));
        match (title, body, scope) {
            (Some(title), Some(body), Some(scope)) => Ok(DiaryDraft { title, body, scope }),
            _ => Err(errors),
        }
    }
}

/// Validates a comment.
pub fn validate_comment(body: &str) -> Result<String, Vec<Invalid>> {
    text::clean_multiline(body, COMMENT_MAX)
        .map_err(|problem| vec![Invalid { field: "body", problem }])
}

/// A validated message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageDraft {
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
}

impl MessageDraft {
    /// Validates a message; an empty subject is allowed and shown as "(no subject)".
    pub fn validate(subject: &str, body: &str) -> Result<MessageDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let subject =
            field(&mut errors, "subject", text::clean_optional_line(subject, MESSAGE_SUBJECT_MAX));
        let body = field(&mut errors, "body", text::clean_multiline(body, MESSAGE_BODY_MAX));
        match (subject, body) {
            (Some(subject), Some(body)) => Ok(MessageDraft { subject, body }),
            _ => Err(errors),
        }
    }
}

/// A validated community.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommunityDraft {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Whether joining needs the admin's approval.
    pub approval: bool,
    /// Whether only members may read topics.
    pub members_only: bool,
}

impl CommunityDraft {
    /// Validates a new community.
    pub fn validate(
        name: &str,
        description: &str,
        category: &str,
        approval: bool,
        members_only: bool,
    ) -> Result<CommunityDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let name = field(&mut errors, "name", text::clean_line(name, COMMUNITY_NAME_MAX));
        let description = field(
            &mut errors,
            "description",
            text::clean_multiline(description, COMMUNITY_DESCRIPTION_MAX),
        );
        let category = field(
            &mut errors,
            "category",
            text::clean_optional_line(category, COMMUNITY_CATEGORY_MAX),
        );
        match (name, description, category) {
            (Some(name), Some(description), Some(category)) => {
                Ok(CommunityDraft { name, description, category, approval, members_only })
            }
            _ => Err(errors),
        }
    }
}

/// A validated topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicDraft {
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
}

impl TopicDraft {
    /// Validates a new topic.
    pub fn validate(title: &str, body: &str) -> Result<TopicDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let title = field(&mut errors, "title", text::clean_line(title, TOPIC_TITLE_MAX));
        let body = field(&mut errors, "body", text::clean_multiline(body, TOPIC_BODY_MAX));
        match (title, body) {
            (Some(title), Some(body)) => Ok(TopicDraft { title, body }),
            _ => Err(errors),
        }
    }
}

/// Cleans a search query: `Ok(None)` when there is nothing to search for, an error when it is
/// too long (the page says so rather than showing an empty result).
pub fn clean_search(q: &str) -> Result<Option<String>, Problem> {
    match text::clean_line(q, SEARCH_MAX) {
        Ok(q) => Ok(Some(q)),
        Err(Problem::Empty) => Ok(None),
        Err(p) => Err(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diary_reports_every_problem() {
        let errors = DiaryDraft::validate("", &"あ".repeat(DIARY_BODY_MAX + 1), "everyone")
            .expect_err("bad");
        let got: Vec<_> = errors.iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(
            got,
            [
                ("title", Problem::Empty),
                ("body", Problem::TooLong(DIARY_BODY_MAX)),
                ("scope", Problem::NotAllowed)
            ]
        );
        let ok = DiaryDraft::validate(" 晴れ☀ ", "今日は\r\nいい天気", "fof").expect("valid");
        assert_eq!(
            (ok.title.as_str(), ok.body.as_str(), ok.scope),
            ("晴れ☀", "今日は\nいい天気", Scope::Fof)
        );
    }

    #[test]
    fn messages_allow_an_empty_subject_but_not_an_empty_body() {
        assert_eq!(MessageDraft::validate("", "hi").map(|m| m.subject), Ok(String::new()));
        assert!(MessageDraft::validate("件名", "  ").is_err());
    }

    #[test]
    fn community_and_topic_limits() {
        assert!(CommunityDraft::validate(&"x".repeat(51), "d", "", false, false).is_err());
        assert!(CommunityDraft::validate("カフェ", "説明", "", true, false).is_ok());
        assert!(TopicDraft::validate("t", "").is_err());
        assert_eq!(clean_search("  はな "), Ok(Some("はな".into())));
        assert_eq!(clean_search("   "), Ok(None));
        assert_eq!(clean_search(&"x".repeat(SEARCH_MAX + 1)), Err(Problem::TooLong(SEARCH_MAX)));
    }
}
