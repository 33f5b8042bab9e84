//! English notification texts.

use super::{Template, Texts};

pub(crate) const TEXTS: Texts = Texts {
    friend_request: Template {
        subject: "Friend request from {actor}",
        body: "{actor} sent you a friend request.\n\nAccept or decline:\n{link}",
    },
    friend_accepted: Template {
        subject: "{actor} is now your friend",
        body: "{actor} accepted your friend request.\n\n{actor}'s page:\n{link}",
    },
    new_message: Template {
        subject: "Message from {actor}",
        body: "{actor} sent you a message.\n\"{excerpt}\"\n\nRead:\n{link}",
    },
    diary_comment: Template {
        subject: "Comment on your diary: {diary}",
        body: "{actor} commented on \"{diary}\".\n\"{excerpt}\"\n\nRead:\n{link}",
    },
    community_topic: Template {
        subject: "[{community}] New topic",
        body: "{actor} started \"{topic}\" in {community}.\n\nRead:\n{link}",
    },
    footer: "--\n{site}\nThis address does not receive replies.",
    footer_settings: "Notification settings:\n{settings}",
};
