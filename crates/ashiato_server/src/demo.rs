//! `ashiato serve --demo`: a small living community on an empty database, so a newcomer can
//! log in and see what ashiato is: members who are friends, diaries in every scope with emoji,
//! comments, footsteps, a community with topics, messages, introductions between friends, free
//! profile fields and a pending friend request.

use ashiato_core::time::{DAY_MS, HOUR_MS, JST_OFFSET_MINUTES, MINUTE_MS};
use ashiato_core::{MemberId, Scope, Timestamp, password};
use ashiato_store::communities::{self, JoinPolicy, NewCommunity, TopicVisibility};
use ashiato_store::db::random_bytes;
use ashiato_store::{Db, StoreError, accounts, diary, footsteps, friends, messages, write};

use crate::error::OpsError;

/// The password every demo member has (printed at start-up; demo data only).
pub const DEMO_PASSWORD: &str = "ashiato-demo";

/// (e-mail, nickname, introduction) of the demo members.
const MEMBERS: [(&str, &str, &str); 12] = [
    (
        "hanako@demo.ashiato.jp",
        "はなこ",
        "下北沢でカフェ巡りをしています☕ 休日は写真を撮りに出かけます📷",
    ),
    ("taro@demo.ashiato.jp", "たろう", "野球とラーメンが好きです⚾ 毎日日記を書いてます。"),
    ("yuki@demo.ashiato.jp", "ゆき", "札幌在住。冬はスノボ🏂 夏は北海道の温泉めぐり♨"),
    ("kenji@demo.ashiato.jp", "けんじ", "大学でプログラミングの勉強中💻"),
    ("misaki@demo.ashiato.jp", "みさき", "猫2匹と暮らしています🐱🐱"),
    ("sora@demo.ashiato.jp", "そら", "空の写真ばかり撮っています☀☁☔"),
    ("akane@demo.ashiato.jp", "あかね", "京都の大学生。和菓子が好き🍡"),
    ("daisuke@demo.ashiato.jp", "だいすけ", "営業マン。終電まで働く日々…🚃"),
    ("emi@demo.ashiato.jp", "えみ", "ケーキ作りが趣味です🎂"),
    ("shun@demo.ashiato.jp", "しゅん", "バンドでギターを弾いてます🎸"),
    ("nana@demo.ashiato.jp", "なな", "旅行が大好き✈ 次は沖縄に行きたい"),
    ("ryo@demo.ashiato.jp", "りょう", "釣り好き🎣 週末は海へ"),
];

/// Friendships by index into `MEMBERS`: a realistic graph with friends of friends.
const FRIENDSHIPS: [(usize, usize); 18] = [
    (0, 1),
    (0, 2),
    (0, 4),
    (0, 5),
    (0, 8),
    (1, 3),
    (1, 7),
    (1, 9),
    (2, 5),
    (2, 10),
    (3, 9),
    (4, 8),
    (5, 10),
    (6, 7),
    (6, 8),
    (7, 11),
    (9, 11),
    (10, 11),
];

/// (author index, hours ago, scope, title, body)
const DIARIES: [(usize, i64, Scope, &str, &str); 14] = [
    (
        0,
        2,
        Scope::Friends,
        "新しいカフェ☕",
        "駅の近くに新しいカフェができたので行ってみました。\nチーズケーキがとても美味しかったです🍰\nまた行きたい！",
    ),
    (0, 30, Scope::Public, "桜が咲きました🌸", "公園の桜が満開でした。\nみんなでお花見したいね。"),
    (0, 80, Scope::Private, "ひとりごと", "今日はなんだか疲れた…早く寝よう🌙"),
    (1, 5, Scope::Public, "今日の一杯🍜", "仕事帰りに豚骨ラーメン。替え玉2回は食べすぎた…"),
    (1, 50, Scope::Fof, "草野球⚾", "日曜の試合、3打数2安打でした！\n打ち上げも楽しかった🍺"),
    (2, 8, Scope::Friends, "初雪☃", "札幌は今日初雪でした。\nもうすぐスノボの季節🏂"),
    (3, 12, Scope::Public, "レポート締切", "明日締切のレポートがまだ半分…💦 がんばります。"),
    (
        4,
        20,
        Scope::Fof,
        "猫の日常🐱",
        "うちの猫がまたキーボードの上で寝ています。\n仕事ができない😂",
    ),
    (
        5,
        3,
        Scope::Public,
        "夕焼け🌇",
        "今日の夕焼けはすごくきれいでした。\n写真、うまく撮れたかな📷",
    ),
    (6, 40, Scope::Friends, "和菓子屋さん🍡", "老舗の和菓子屋さんで季節の生菓子を買いました。"),
    (7, 16, Scope::Public, "終電🚃", "今日も終電…。明日は早く帰れますように。"),
    (8, 26, Scope::Friends, "ケーキ焼きました🎂", "友達の誕生日に苺のショートケーキを焼きました🍓"),
    (10, 60, Scope::Public, "沖縄の計画✈", "夏休みに沖縄へ行く計画中🌴 おすすめの場所を教えて！"),
    (11, 36, Scope::Fof, "大漁🎣", "朝4時起きで海へ。アジが20匹釣れました🐟"),
];

/// (author index, friend index, text): introductions (紹介文) between friends.
const INTRODUCTIONS: [(usize, usize, &str); 3] = [
    (1, 0, "カフェにとても詳しい頼れる友達です☕ おすすめのお店はだいたい当たり！"),
    (2, 0, "高校からの友達。写真がとても上手です📷"),
    (0, 1, "野球とラーメンをこよなく愛する人⚾🍜 日記が毎日おもしろい。"),
];

/// (diary index, commenter index, minutes after the diary, body)
const COMMENTS: [(usize, usize, i64, &str); 12] = [
    (0, 1, 30, "いいなー！今度連れてって😊"),
    (0, 4, 45, "チーズケーキ好き！どこのお店？"),
    (0, 0, 60, "駅の東口だよ～👍"),
    (1, 2, 120, "札幌はまだ雪です☃"),
    (3, 3, 20, "替え玉2回はすごいｗ"),
    (4, 9, 90, "ナイスバッティング⚾"),
    (5, 0, 15, "寒そう！風邪ひかないでね"),
    (7, 8, 40, "かわいすぎる🐱"),
    (8, 10, 25, "きれい！✨"),
    (10, 6, 50, "おつかれさまです…"),
    (11, 0, 35, "おいしそう！🍓"),
    (12, 5, 70, "古宇利島おすすめ🌊"),
];

/// What was created.
#[derive(Debug)]
pub struct DemoSummary {
    members: usize,
    diaries: usize,
}

impl DemoSummary {
    /// How to log in, printed at start-up.
    pub fn instructions(&self, base_url: &str) -> String {
        format!(
            "ashiato: demo community created: {} members, {} diary entries, a community with topics.\n\
             ashiato: log in at {base_url}/login as {} with password {DEMO_PASSWORD}\n\
             ashiato: (every demo member, e.g. {}, has the same password)",
            self.members, self.diaries, MEMBERS[0].0, MEMBERS[1].0
        )
    }
}

/// Seeds the demo community if the database has no members; `None` if it already had some.
pub fn seed(db: &Db, now: Timestamp) -> Result<Option<DemoSummary>, OpsError> {
    let mut conn = db.conn()?;
    if accounts::member_count(&mut conn)? > 0 {
        return Ok(None);
    }
    // One hash for all: they share the password, and hashing twelve times would slow start-up.
    let salt: [u8; password::SALT_LEN] = random_bytes()?;
    let hash = password::hash(DEMO_PASSWORD, &salt).map_err(|e| OpsError::Io(e.to_string()))?;
    let ago = |ms: i64| Timestamp(now.0 - ms);
    write(&mut conn, |c| -> Result<(), StoreError> {
        let mut ids: Vec<MemberId> = Vec::new();
        for (n, (email, nickname, intro)) in MEMBERS.iter().enumerate() {
            let new = ashiato_core::account::NewMember {
                email: ashiato_core::account::Email::parse(email)?,
                nickname: (*nickname).to_owned(),
            };
            let joined = ago(DAY_MS * (90 - i64::try_from(n).unwrap_or(0)));
            let id = accounts::create_member(c, &new, &hash, joined)?;
            // The demo's addresses count as confirmed, so its notifications queue as a real
            // member's would.
            accounts::confirm_email(c, id, new.email.as_str(), joined)?;
            let mut profile = ashiato_core::account::Profile {
                introduction: (*intro).to_owned(),
                area: ["東京都", "北海道", "京都府", "大阪府"][n % 4].to_owned(),
                ..Default::default()
            };
            profile.birthday = Some((
                1985 + i32::try_from(n).unwrap_or(0),
                u32::try_from(n % 12).unwrap_or(0) + 1,
                10,
            ));
            accounts::update_profile(c, id, &profile, joined)?;
            ids.push(id);
        }
        for (i, (a, b)) in FRIENDSHIPS.iter().enumerate() {
            friends::befriend(
                c,
                ids[*a],
                ids[*b],
                ago(DAY_MS * (60 - i64::try_from(i).unwrap_or(0))),
            )?;
        }
        // Friends introduce each other (紹介文), hanako has free profile fields, and someone she
        // does not know yet has asked to be her friend: the home page shows the request.
        for (author, subject, text) in INTRODUCTIONS {
            friends::introduce(c, ids[author], ids[subject], text, ago(DAY_MS * 10))?;
        }
        ashiato_store::members::set_free_fields(
            c,
            ids[0],
            &[
                ashiato_store::members::FreeField {
                    label: "好きな食べ物".into(),
                    value: "チーズケーキ🍰".into(),
                    scope: Scope::Public,
                },
                ashiato_store::members::FreeField {
                    label: "最近ハマっていること".into(),
                    value: "フィルムカメラ📷".into(),
                    scope: Scope::Friends,
                },
            ],
        )?;
        friends::request(
            c,
            ids[6],
            ids[0],
            "カフェのコミュニティで見かけました！よろしくお願いします🍡",
            ago(HOUR_MS * 4),
        )?;
        let mut entries = Vec::new();
        for (author, hours, scope, title, body) in DIARIES {
            entries.push((
                diary::create_entry(c, ids[author], title, body, scope, ago(hours * HOUR_MS))?,
                hours,
            ));
        }
        for (entry, who, minutes, body) in COMMENTS {
            let (id, hours) = entries[entry];
            diary::add_comment(
                c,
                id,
                ids[who],
                body,
                Timestamp(now.0 - hours * HOUR_MS + minutes * MINUTE_MS),
            )?;
        }
        // Friends and friends of friends dropped by during the last days.
        let visits: [(usize, usize, i64); 10] = [
            (0, 1, 1),
            (0, 2, 3),
            (0, 4, 5),
            (0, 5, 26),
            (0, 8, 50),
            (0, 3, 52),
            (1, 0, 2),
            (1, 3, 7),
            (2, 0, 4),
            (5, 10, 9),
        ];
        for (owner, visitor, hours) in visits {
            let at = ago(hours * HOUR_MS);
            footsteps::record(c, ids[owner], ids[visitor], at.day_in_zone(JST_OFFSET_MINUTES), at)?;
        }
        let cafe = communities::create(
            c,
            &NewCommunity {
                name: "カフェ好き集まれ☕",
                description: "おすすめのカフェやスイーツを紹介しあうコミュニティです。",
                category: "グルメ",
                join_policy: JoinPolicy::Open,
                topic_visibility: TopicVisibility::Members,
            },
            ids[0],
            ago(DAY_MS * 40),
        )?;
        for m in [1, 4, 8, 6] {
            communities::join(c, cafe, ids[m], ago(DAY_MS * 30))?;
        }
        let topic = communities::create_topic(
            c,
            cafe,
            ids[0],
            "自己紹介トピック",
            "はじめまして！好きなカフェを教えてください☕",
            ago(DAY_MS * 29),
        )?;
        communities::add_topic_comment(c, topic, ids[4], "猫カフェが好きです🐱", ago(DAY_MS * 28))?;
        communities::add_topic_comment(
            c,
            topic,
            ids[8],
            "ケーキが美味しいお店を探してます🎂",
            ago(DAY_MS * 20),
        )?;
        let sweets = communities::create_topic(
            c,
            cafe,
            ids[8],
            "冬のおすすめスイーツ",
            "冬限定メニュー情報をどうぞ❄",
            ago(DAY_MS * 3),
        )?;
        communities::add_topic_comment(
            c,
            sweets,
            ids[6],
            "抹茶のパフェが出ていました🍵",
            ago(HOUR_MS * 20),
        )?;
        messages::send(
            c,
            ids[1],
            ids[0],
            "週末の予定",
            "今度の土曜日、みんなでカフェに行かない？☕",
            None,
            ago(HOUR_MS * 6),
        )?;
        messages::send(
            c,
            ids[2],
            ids[0],
            "お土産",
            "札幌のお土産送ったよ～🎁",
            None,
            ago(HOUR_MS * 30),
        )?;
        Ok(())
    })?;
    Ok(Some(DemoSummary { members: MEMBERS.len(), diaries: DIARIES.len() }))
}
