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
    password_reset: Template {
        subject: "Reset your password",
        body: "Hello {actor},\nsomeone asked to reset your password.\nChoose a new one within {minutes} minutes:\n\n{link}\n\nIf this was not you, ignore this mail. Your password stays as it is.",
    },
    confirm_address: Template {
        subject: "Confirm your address",
        body: "Hello {actor},\nto get notifications at this address, confirm it:\n\n{link}\n\nIf this was not you, ignore this mail.",
    },
    invitation: Template {
        subject: "{actor} invites you to {site}",
        body: "{actor} invites you to join {site}.\nSign up within {days} days:\n\n{link}",
    },
    operator_invitation: Template {
        subject: "Your invitation to {site}",
        body: "You are invited to join {site}.\nSign up within {days} days:\n\n{link}",
    },
    join_link: Template {
        subject: "Sign up for {site}",
        body: "We received your empty mail.\nSign up within {days} days:\n\n{link}\n\nIf this was not you, ignore this mail.",
    },
    footer: "--\n{site}\nThis address does not receive replies.",
    footer_settings: "Notification settings:\n{settings}",
};
