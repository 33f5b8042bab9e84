//! S-21 and S-17 through real forms and pages: markup payloads typed into every field a member
//! writes (diary, comment, nickname, profile fields, community, topic, message) come back as
//! text on every dialect's page (HTML5 for PCs, cHTML in Shift_JIS for docomo, XHTML-MP for
//! au); a docomo handset posting a lone Shift_JIS lead byte before `"` or `<` stores U+FFFD
//! and the character, and its page shows them escaped.

use ashiato_test_support::http::Request;
use ashiato_test_support::{Suite, TestDb};

use crate::support::{AU_WAP2, DOCOMO_FOMA, PC, Phone, TestApp, form_body, hidden_value, member};

pub fn register(suite: &mut Suite) {
    suite.on_both("markup_in_every_field_is_text_on_every_dialect", markup_payloads);
}

/// OWASP-style payloads: tags, attribute breakouts, a closing tag for a text area, a
/// `javascript:` link.
const PAYLOADS: [&str; 6] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)' x='",
    "<svg/onload=alert(1)>",
    "</textarea><script>alert(2)</script>",
    "<a href=\"javascript:alert(3)\">x</a>",
];

/// Raw markup a payload would produce if it were not escaped.
const RAW: [&str; 5] = ["<script", "<img src=x", "<svg", "href=\"javascript:", "<a href=\"javas"];

fn number_after(text: &str, marker: &str) -> String {
    let at = text.find(marker).unwrap_or_else(|| panic!("{marker} in {text}")) + marker.len();
    text[at..].chars().take_while(char::is_ascii_digit).collect()
}

fn assert_text_only(page: &str, what: &str) {
    let lower = page.to_ascii_lowercase();
    for raw in RAW {
        assert!(!lower.contains(raw), "{what}: raw {raw:?} on the page:\n{page}");
    }
}

fn markup_payloads(t: &TestDb) {
    let writer = member(t, "writer@example.jp", "書く人");
    let reader = member(t, "reader@docomo.ne.jp", "読む人");
    {
        let mut conn = t.db.conn().expect("connection");
        ashiato_store::write(&mut conn, |c| {
            ashiato_store::friends::befriend(c, writer, reader, ashiato_app::now())
        })
        .expect("friends");
    }
    let app = TestApp::start(t);
    let mut pc = Phone::new(&app, PC);
    pc.login("writer@example.jp");
    let all = PAYLOADS.join(" ");
    // Every field the writer fills.
    let res = pc.submit(
        "/settings",
        "/settings",
        &[
            ("nickname", "書く人<b>"),
            ("introduction", &all),
            ("introduction_scope", "friends"),
            ("birthday_scope", "private"),
            ("area", PAYLOADS[2]),
            ("area_scope", "friends"),
            // A label holds 20 characters.
            ("label1", "\"><img src=x>"),
            ("value1", &all),
            ("scope1", "friends"),
            ("friends_scope", "friends"),
            ("default_scope", "friends"),
            ("language", "ja"),
        ],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let res = pc.submit(
        "/diary/new",
        "/diary/new",
        &[("title", PAYLOADS[0]), ("body", &all), ("scope", "friends")],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let entry = number_after(res.header("location").expect("location"), "/diary/");
    let res = pc.submit(
        &format!("/diary/{entry}"),
        &format!("/diary/{entry}/comments"),
        &[("body", &all)],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let res = pc.submit(
        "/communities/new",
        "/communities/new",
        &[
            ("name", PAYLOADS[3]),
            ("description", &all),
            // A category holds 30 characters.
            ("category", "</textarea><script>c</script>"),
            ("join", "open"),
            ("topics", "participants"),
        ],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let community = number_after(res.header("location").expect("location"), "/c/");
    let res = pc.submit(
        &format!("/c/{community}/topics/new"),
        &format!("/c/{community}/topics/new"),
        &[("title", PAYLOADS[5]), ("body", &all)],
    );
    assert_eq!(res.status, 303, "{}", pc.last);
    let topic = number_after(res.header("location").expect("location"), "/topics/");
    let res = pc.submit(
        &format!("/messages/new?to={reader}"),
        "/messages/new",
        &[("to", &reader.to_string()), ("subject", PAYLOADS[0]), ("body", &all)],
    );
    assert_eq!(res.status, 303, "{}", pc.last);

    // The reader joins the community (its topics are for participants).
    let mut joiner = Phone::new(&app, PC);
    joiner.login("reader@docomo.ne.jp");
    let joined = joiner.submit(&format!("/c/{community}"), &format!("/c/{community}/join"), &[]);
    assert_eq!(joined.status, 303, "{}", joiner.last);
    // Every page that shows them, on every dialect.
    let pages = [
        format!("/diary/{entry}"),
        format!("/m/{writer}"),
        format!("/m/{writer}/diary"),
        format!("/c/{community}"),
        format!("/c/{community}/topics/{topic}"),
        "/home".to_owned(),
        "/messages".to_owned(),
    ];
    for ua in [PC, DOCOMO_FOMA, AU_WAP2] {
        let mut phone = Phone::new(&app, ua);
        phone.login("reader@docomo.ne.jp");
        for page in &pages {
            let res = phone.get(page);
            assert_eq!(res.status, 200, "{ua} {page}: {}", phone.last);
            assert_text_only(&phone.last, &format!("{ua} {page}"));
        }
        // The payloads are there, as text (escaping kept them, it did not drop them).
        phone.get(&format!("/diary/{entry}"));
        assert!(phone.last.contains("alert(1)"), "{ua}: the payload text was dropped");
    }
    // The writer's own edit form puts them back into fields, still inert.
    pc.get(&format!("/diary/{entry}/edit"));
    assert_text_only(&pc.last, "the edit form");

    // S-17 live: a docomo handset sends a lone Shift_JIS lead byte (0x82) right before `"`
    // and before `<`, as a broken keypad input or an attack would.
    let mut docomo = Phone::new(&app, DOCOMO_FOMA);
    docomo.login("reader@docomo.ne.jp");
    docomo.get("/diary/new");
    let csrf = hidden_value(&docomo.last, "csrf").expect("csrf");
    let ksid = hidden_value(&docomo.last, "ksid").expect("ksid");
    let body = format!(
        "{}&title=%82%22lead&body=%82%3Cscript%3Ealert(4)%3C%2Fscript%3E",
        form_body(&[("scope", "friends"), ("csrf", &csrf), ("ksid", &ksid)])
    );
    let res = docomo.send(Request::post_form(&format!("/diary/new?ksid={ksid}"), body));
    assert_eq!(res.status, 303, "{}", docomo.last);
    let lead = number_after(res.header("location").expect("location"), "/diary/");
    {
        let mut conn = t.db.conn().expect("connection");
        let stored = ashiato_store::diary::find_entry(
            &mut conn,
            ashiato_core::DiaryId(lead.parse().expect("id")),
        )
        .expect("entry");
        assert_eq!(stored.title, "\u{FFFD}\"lead", "the lead byte became U+FFFD, the quote kept");
        assert_eq!(stored.body, "\u{FFFD}<script>alert(4)</script>");
    }
    for ua in [DOCOMO_FOMA, PC] {
        let mut phone = Phone::new(&app, ua);
        phone.login("writer@example.jp");
        let res = phone.get(&format!("/diary/{lead}"));
        assert_eq!(res.status, 200);
        assert_text_only(&phone.last, &format!("{ua} lead-byte entry"));
        assert!(phone.last.contains("alert(4)"), "{ua}: {}", phone.last);
    }
}
