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
    password_reset: Template {
        subject: "パスワードの再設定",
        body: "{actor}さん\nパスワード再設定のお申し込みを受け付けました。\n下のリンクから{minutes}分以内に新しいパスワードを決めてください。\n\n▼再設定する\n{link}\n\nお心当たりがなければ、このメールは捨ててください。パスワードは変わりません。",
    },
    confirm_address: Template {
        subject: "メールアドレスの確認",
        body: "{actor}さん\nこのアドレスで通知を受け取るには、下のリンクから確認してください。\n\n▼確認する\n{link}\n\nお心当たりがなければ、このメールは捨ててください。",
    },
    invitation: Template {
        subject: "{actor}さんから{site}への招待",
        body: "{actor}さんから{site}への招待が届きました。\n下のリンクから{days}日以内に登録できます。\n\n▼登録する\n{link}",
    },
    operator_invitation: Template {
        subject: "{site}への招待",
        body: "{site}への招待です。\n下のリンクから{days}日以内に登録できます。\n\n▼登録する\n{link}",
    },
    join_link: Template {
        subject: "{site}の登録案内",
        body: "空メールを受け付けました。\n下のリンクから{days}日以内に登録できます。\n\n▼登録する\n{link}\n\nお心当たりがなければ、このメールは捨ててください。",
    },
    footer: "--\n{site}\nこのメールは送信専用です。",
    footer_settings: "通知の設定：\n{settings}",
};
