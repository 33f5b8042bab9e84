//! 日本語の通知文（既定）。JIS X 0208 の文字だけで書く（ISO-2022-JP でそのまま送れる）。

use super::{Template, Texts};

pub(crate) const TEXTS: Texts = Texts {
    friend_request: Template {
        subject: "{actor}さんから友人申請",
        body: "{actor}さんから友人申請が届きました。\n\n▼承認する・断る\n{link}",
    },
    friend_accepted: Template {
        subject: "{actor}さんと友人になりました",
        body: "{actor}さんが友人申請を承認しました。\n\n▼{actor}さんのページ\n{link}",
    },
    new_message: Template {
        subject: "{actor}さんからメッセージ",
        body: "{actor}さんからメッセージが届きました。\n「{excerpt}」\n\n▼読む\n{link}",
    },
    diary_comment: Template {
        subject: "日記にコメント：{diary}",
        body: "{actor}さんが日記「{diary}」にコメントしました。\n「{excerpt}」\n\n▼読む\n{link}",
    },
    community_topic: Template {
        subject: "[{community}] 新しいトピック",
        body: "{actor}さんが「{community}」にトピック「{topic}」を立てました。\n\n▼読む\n{link}",
    },
    footer: "--\n{site}\nこのメールは送信専用です。",
    footer_settings: "通知の設定：\n{settings}",
};
