//! What members report and operators remove: a piece of content named by its page path, the
//! report categories, and the limits of what people type into a report.
//!
//! A target's path is how a member finds it (`/diary/5`), how a report names it, how the
//! command line names it (`ashiato content remove --path /diary/5`) and how the tombstone of
//! removed content is found again when an old link is followed. One parser, so these never
//! disagree.

use crate::id::{CommentId, CommunityId, DiaryId, MemberId, MessageId, TopicCommentId, TopicId};

/// Longest note on a report, in characters.
pub const REPORT_NOTE_MAX: usize = 1_000;

/// A piece of content a member can report or an operator can remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A diary entry: `/diary/{id}`.
    Diary(DiaryId),
    /// A comment on a diary entry: `/diary/{entry}/comments/{id}`.
    DiaryComment(DiaryId, CommentId),
    /// A member's profile: `/m/{id}` (reportable; an operator suspends the member instead).
    Profile(MemberId),
    /// A member's profile photo: `/m/{id}/photo` (removable).
    ProfilePhoto(MemberId),
    /// A community: `/c/{id}`.
    Community(CommunityId),
    /// A community topic: `/c/{community}/topics/{id}`.
    Topic(CommunityId, TopicId),
    /// A comment on a topic: `/c/{community}/topics/{topic}/comments/{id}`.
    TopicComment(CommunityId, TopicId, TopicCommentId),
    /// A message: `/messages/{id}`.
    Message(MessageId),
}

/// A target's kind, for messages ("this diary entry was removed") and the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetKind {
    /// A diary entry.
    Diary,
    /// A diary comment.
    DiaryComment,
    /// A profile.
    Profile,
    /// A profile photo.
    ProfilePhoto,
    /// A community.
    Community,
    /// A topic.
    Topic,
    /// A topic comment.
    TopicComment,
    /// A message.
    Message,
}

impl TargetKind {
    /// The kind's name in message keys and the command line's output.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Diary => "diary",
            TargetKind::DiaryComment => "diary_comment",
            TargetKind::Profile => "profile",
            TargetKind::ProfilePhoto => "profile_photo",
            TargetKind::Community => "community",
            TargetKind::Topic => "topic",
            TargetKind::TopicComment => "topic_comment",
            TargetKind::Message => "message",
        }
    }
}

fn id(segment: &str) -> Option<i64> {
    // Digits only: no sign, no spaces, no leading `+`, and a positive id.
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse::<i64>().ok().filter(|n| *n > 0)
}

impl Target {
    /// Parses a page path (`/diary/5`; a trailing `/report` is not part of it). `None` for
    /// anything that is not exactly one of the forms above.
    pub fn parse(path: &str) -> Option<Target> {
        let rest = path.strip_prefix('/')?;
        let parts: Vec<&str> = rest.split('/').collect();
        Some(match parts.as_slice() {
            ["diary", e] => Target::Diary(DiaryId(id(e)?)),
            ["diary", e, "comments", c] => Target::DiaryComment(DiaryId(id(e)?), CommentId(id(c)?)),
            ["m", m] => Target::Profile(MemberId(id(m)?)),
            ["m", m, "photo"] => Target::ProfilePhoto(MemberId(id(m)?)),
            ["c", c] => Target::Community(CommunityId(id(c)?)),
            ["c", c, "topics", t] => Target::Topic(CommunityId(id(c)?), TopicId(id(t)?)),
            ["c", c, "topics", t, "comments", k] => {
                Target::TopicComment(CommunityId(id(c)?), TopicId(id(t)?), TopicCommentId(id(k)?))
            }
            ["messages", m] => Target::Message(MessageId(id(m)?)),
            _ => return None,
        })
    }

    /// The target's page path, the inverse of [`Target::parse`].
    pub fn path(&self) -> String {
        match self {
            Target::Diary(e) => format!("/diary/{e}"),
            Target::DiaryComment(e, c) => format!("/diary/{e}/comments/{c}"),
            Target::Profile(m) => format!("/m/{m}"),
            Target::ProfilePhoto(m) => format!("/m/{m}/photo"),
            Target::Community(c) => format!("/c/{c}"),
            Target::Topic(c, t) => format!("/c/{c}/topics/{t}"),
            Target::TopicComment(c, t, k) => format!("/c/{c}/topics/{t}/comments/{k}"),
            Target::Message(m) => format!("/messages/{m}"),
        }
    }

    /// What kind of content this is.
    pub fn kind(&self) -> TargetKind {
        match self {
            Target::Diary(_) => TargetKind::Diary,
            Target::DiaryComment(..) => TargetKind::DiaryComment,
            Target::Profile(_) => TargetKind::Profile,
            Target::ProfilePhoto(_) => TargetKind::ProfilePhoto,
            Target::Community(_) => TargetKind::Community,
            Target::Topic(..) => TargetKind::Topic,
            Target::TopicComment(..) => TargetKind::TopicComment,
            Target::Message(_) => TargetKind::Message,
        }
    }

    /// The page a member reads this target on (a comment's thread, a photo's profile).
    pub fn page_path(&self) -> String {
        match self {
            Target::DiaryComment(e, _) => Target::Diary(*e).path(),
            Target::ProfilePhoto(m) => Target::Profile(*m).path(),
            Target::TopicComment(c, t, _) => Target::Topic(*c, *t).path(),
            other => other.path(),
        }
    }
}

/// Why a member reports something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportCategory {
    /// Advertising, scams, repeated junk.
    Spam,
    /// Harassment or abuse aimed at someone.
    Harassment,
    /// Someone's personal information exposed.
    PersonalInformation,
    /// Someone else's work posted without leave.
    Copyright,
    /// Anything else (the note says what).
    Other,
}

impl ReportCategory {
    /// Every category, in the order forms offer them.
    pub const ALL: [ReportCategory; 5] = [
        ReportCategory::Spam,
        ReportCategory::Harassment,
        ReportCategory::PersonalInformation,
        ReportCategory::Copyright,
        ReportCategory::Other,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportCategory::Spam => "spam",
            ReportCategory::Harassment => "harassment",
            ReportCategory::PersonalInformation => "personal_information",
            ReportCategory::Copyright => "copyright",
            ReportCategory::Other => "other",
        }
    }

    /// Parses a stored or submitted name.
    pub fn parse(s: &str) -> Option<ReportCategory> {
        ReportCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_path_parses_back_to_itself() {
        let all = [
            Target::Diary(DiaryId(5)),
            Target::DiaryComment(DiaryId(5), CommentId(9)),
            Target::Profile(MemberId(3)),
            Target::ProfilePhoto(MemberId(3)),
            Target::Community(CommunityId(2)),
            Target::Topic(CommunityId(2), TopicId(7)),
            Target::TopicComment(CommunityId(2), TopicId(7), TopicCommentId(11)),
            Target::Message(MessageId(4)),
        ];
        for t in all {
            assert_eq!(Target::parse(&t.path()), Some(t), "{}", t.path());
        }
        assert_eq!(
            Target::TopicComment(CommunityId(2), TopicId(7), TopicCommentId(1)).page_path(),
            "/c/2/topics/7"
        );
    }

    #[test]
    fn anything_else_is_not_a_target() {
        for bad in [
            "",
            "/",
            "diary/5",
            "/diary",
            "/diary/",
            "/diary/-5",
            "/diary/+5",
            "/diary/0",
            "/diary/5/",
            "/diary/5/edit",
            "/diary/5x",
            "/diary/99999999999999999999",
            "/m/1/diary",
            "/c/1/topics",
            "/messages/new",
            "/diary/5/comments/",
            "/admin",
        ] {
            assert_eq!(Target::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn categories_round_trip_and_unknown_ones_are_refused() {
        for c in ReportCategory::ALL {
            assert_eq!(ReportCategory::parse(c.as_str()), Some(c));
        }
        assert_eq!(ReportCategory::parse("Spam"), None);
        assert_eq!(ReportCategory::parse(""), None);
    }
}
