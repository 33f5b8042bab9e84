//! Typed ids, so a diary id can never be passed where a member id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// A member (an account).
    MemberId
);
id_type!(
    /// An invitation to join.
    InvitationId
);
id_type!(
    /// A friend request (pending, accepted or rejected).
    FriendRequestId
);
id_type!(
    /// A diary entry.
    DiaryId
);
id_type!(
    /// A comment on a diary entry.
    CommentId
);
id_type!(
    /// A community.
    CommunityId
);
id_type!(
    /// A topic inside a community.
    TopicId
);
id_type!(
    /// A comment on a community topic.
    TopicCommentId
);
id_type!(
    /// A private message between two members.
    MessageId
);
id_type!(
    /// A login session (its row, not its secret token).
    SessionId
);
id_type!(
    /// A registered OpenSocial app.
    AppId
);
id_type!(
    /// A stored photo (one sanitised master and its variants).
    PhotoId
);
