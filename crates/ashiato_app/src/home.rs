//! A member's home page: what friends did, and what is waiting for the member, read on one
//! connection.

use ashiato_core::time::{DAY_MS, JST_OFFSET_MINUTES};
use ashiato_core::{MemberId, Timestamp};
use ashiato_store::{communities, diary, friends, members};

use crate::{App, AppResult, now};

/// Entries in the friends' diary list on the home page.
const FEED_ITEMS: i64 = 10;
/// How far back "new" reaches for comments, footsteps and topics.
const RECENT_DAYS: i64 = 3;
/// Comments on my entries and active topics shown.
const RECENT_ITEMS: i64 = 5;
/// How many days ahead friends' birthdays are announced.
const BIRTHDAY_DAYS: u32 = 7;
/// Friends listed by name.
const FRIENDS_SHOWN: i64 = 10;

/// Everything the home page shows.
#[derive(Debug)]
pub struct Home {
    /// Friends' newest diary entries.
    pub feed: Vec<diary::FeedItem>,
    /// New comments on my entries, with the entry's title.
    pub comments: Vec<(diary::Comment, String)>,
    /// Footsteps left today (Japan time).
    pub footsteps_today: i64,
    /// Friend requests waiting.
    pub requests: i64,
    /// Unread messages.
    pub unread: i64,
    /// Active topics of my communities, with the community's name.
    pub topics: Vec<(communities::Topic, String)>,
    /// Friends with a birthday soon, with (month, day).
    pub birthdays: Vec<(friends::MemberSummary, (u32, u32))>,
    /// How many friends I have.
    pub friend_count: i64,
    /// Some of them.
    pub friends: Vec<friends::MemberSummary>,
    /// Friends' app activities.
    pub app_activities: Vec<ashiato_store::apps::FeedActivity>,
    /// A registered phone address waits for confirmation (notifications do not go there yet).
    pub phone_unconfirmed: bool,
    /// The operators' announcements shown now (お知らせ).
    pub announcements: Vec<ashiato_store::announcements::Announcement>,
}

/// Reads the home page of `me`.
pub async fn load(app: &App, me: MemberId) -> AppResult<Home> {
    let t = now();
    let since = Timestamp(t.0 - RECENT_DAYS * DAY_MS);
    let (_, month, day) = t.civil_date(JST_OFFSET_MINUTES);
    app.read(move |c| {
        let counts = members::home_counts(c, me, t.day_in_zone(JST_OFFSET_MINUTES))?;
        Ok(Home {
            feed: diary::friends_feed(c, me, FEED_ITEMS)?,
            comments: diary::comments_on_mine(c, me, since, RECENT_ITEMS)?,
            footsteps_today: counts.footsteps_today,
            requests: counts.requests,
            unread: counts.unread,
            topics: communities::active_topics_for(c, me, since, RECENT_ITEMS)?,
            birthdays: members::friends_birthdays(c, me, (month, day), BIRTHDAY_DAYS)?,
            friend_count: counts.friends,
            friends: friends::list_friends(c, me, FRIENDS_SHOWN, 0)?,
            app_activities: ashiato_store::apps::friends_activities(c, me, RECENT_ITEMS)?,
            phone_unconfirmed: counts.phone_unconfirmed,
            announcements: ashiato_store::announcements::current(c, t)?,
        })
    })
    .await
}
