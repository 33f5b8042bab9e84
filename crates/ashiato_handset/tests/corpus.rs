//! The crate's one integration-test binary: the fixture corpus, property tests, gateway
//! boundaries and the security cases S-01/S-02/S-06/S-09.

use std::net::IpAddr;

use ashiato_handset::{
    Carrier, Connection, Gateways, HeaderList, HeaderLookup, IdKind, IdRejection, Trust,
    TrustedProxies, client_ip, detect, detect_connection, keyed_hash_hex,
};
use proptest::prelude::*;
use serde_json::Value;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn corpus_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/handsets/corpus.jsonl")
}

fn carrier_named(s: &str) -> Carrier {
    match s {
        "docomo" => Carrier::Docomo,
        "au" => Carrier::Au,
        "softbank" => Carrier::Softbank,
        "emobile" => Carrier::Emobile,
        _ => Carrier::Pc,
    }
}

/// Compares one corpus case; returns a description of each mismatch.
fn check_case(case: &Value, trust: &Trust) -> Vec<String> {
    let mut headers = HeaderList::new();
    for pair in case["headers"].as_array().expect("headers array") {
        let name = pair[0].as_str().expect("header name");
        let value = pair[1].as_str().expect("header value");
        headers.push(name, value);
    }
    let peer = case["peer"].as_str().map(ip);
    let https = case["https"].as_bool().unwrap_or(false);
    let h = detect_connection(&headers, Connection { peer, https }, trust);
    let json = serde_json::to_value(&h).expect("profile serialises");
    let mut errors = Vec::new();
    for (key, want) in case["expect"].as_object().expect("expect object") {
        match key.as_str() {
            "not_image_formats" => {
                for f in want.as_array().expect("list") {
                    if json["image_formats"].as_array().expect("formats").contains(f) {
                        errors
                            .push(format!("image_formats {} contains {f}", json["image_formats"]));
                    }
                }
            }
            "html_major" => {
                let got = json["html_version"]
                    .as_str()
                    .and_then(|v| v.split('.').next())
                    .map(str::to_owned);
                if got.as_deref() != Some(want.to_string().as_str()) {
                    errors.push(format!(
                        "html_version {} has not major {want}",
                        json["html_version"]
                    ));
                }
            }
            "subscriber_id_raw" => {
                let raw = want.as_str().expect("raw id");
                let carrier = carrier_named(case["expect"]["carrier"].as_str().unwrap_or(""));
                let secret = b"corpus secret";
                match h.subscriber_id() {
                    Some(id)
                        if id.keyed_hash_hex(secret)
                            == keyed_hash_hex(carrier, raw.as_bytes(), secret) => {}
                    other => errors.push(format!(
                        "subscriber id {other:?} does not hash like {carrier:?}:<raw>"
                    )),
                }
            }
            _ => {
                if json.get(key) != Some(want) {
                    errors.push(format!(
                        "{key}: want {want}, got {}",
                        json.get(key).unwrap_or(&Value::Null)
                    ));
                }
            }
        }
    }
    errors
}

#[test]
fn corpus_matches_source_facts() {
    let text = std::fs::read_to_string(corpus_path()).expect("fixtures/handsets/corpus.jsonl");
    let trust = Trust::builtin();
    let mut failures = Vec::new();
    let mut count = 0;
    for (n, line) in text.lines().enumerate() {
        let case: Value = serde_json::from_str(line).expect("corpus line is JSON");
        count += 1;
        let errors = check_case(&case, &trust);
        if !errors.is_empty() {
            failures.push(format!(
                "line {} ({}; UA {}): {}",
                n + 1,
                case["source"],
                case["headers"][0][1],
                errors.join("; ")
            ));
        }
    }
    assert!(count >= 300, "corpus has only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_covers_every_carrier_and_generation() {
    let text = std::fs::read_to_string(corpus_path()).expect("corpus");
    let mut seen = std::collections::BTreeSet::new();
    for line in text.lines() {
        let case: Value = serde_json::from_str(line).expect("json");
        for key in ["carrier", "generation"] {
            if let Some(v) = case["expect"][key].as_str() {
                seen.insert(format!("{key}={v}"));
            }
        }
    }
    for want in [
        "carrier=docomo",
        "carrier=au",
        "carrier=softbank",
        "carrier=willcom",
        "carrier=emobile",
        "carrier=smartphone",
        "carrier=pc",
        "carrier=crawler",
        "generation=mova",
        "generation=foma",
        "generation=wap1",
        "generation=wap2",
        "generation=c",
        "generation=p",
        "generation=w",
        "generation=3gc",
        "generation=smartphone",
        "generation=tablet",
    ] {
        assert!(seen.contains(want), "corpus lacks {want}");
    }
}

// --- Gateway boundaries (keitai.md §14; jpm spec/unit/valid_ip_spec.rb values) ---------------

fn id_request(ua: &str, header: &str, value: &str) -> HeaderList {
    [("User-Agent", ua), (header, value)].into_iter().collect()
}

const DOCOMO_UA: &str = "DoCoMo/2.0 N905i(c100;TB;W24H16)";
const AU_UA: &str = "KDDI-CA39 UP.Browser/6.2.0.13.1.5 (GUI) MMP/2.0";
const SB_UA: &str =
    "SoftBank/1.0/910T/TJ001 Browser/NetFront/3.3 Profile/MIDP-2.0 Configuration/CLDC-1.1";

fn trusted(headers: &HeaderList, peer: &str) -> bool {
    detect(headers, Some(ip(peer)), &Trust::builtin()).subscriber_id_trusted
}

#[test]
fn gateway_boundaries() {
    let docomo = id_request(DOCOMO_UA, "X-DCMGUID", "abc1234");
    for p in [
        "210.153.84.1",
        "210.153.84.254",
        "210.153.84.0",
        "210.153.84.255",
        "203.138.204.160",
        "203.138.204.191",
    ] {
        assert!(trusted(&docomo, p), "docomo {p}");
    }
    for p in [
        "210.153.83.255",
        "210.153.85.0",
        "210.153.87.1",
        "210.153.87.254",
        "203.138.204.192",
        "203.138.204.159",
    ] {
        assert!(!trusted(&docomo, p), "docomo {p}");
    }
    let au = id_request(AU_UA, "X-UP-SUBNO", "01234567890123_ab.ezweb.ne.jp");
    for p in ["210.230.128.225", "210.230.128.238", "111.86.147.255"] {
        assert!(trusted(&au, p), "au {p}");
    }
    for p in ["210.230.128.223", "210.230.128.240", "210.153.84.1"] {
        assert!(!trusted(&au, p), "au {p}");
    }
    let sb = id_request(SB_UA, "X-JPHONE-UID", "a1b2c3d4e5f6g7h8");
    for p in ["123.108.237.1", "123.108.237.31", "210.228.189.188", "210.228.189.191"] {
        assert!(trusted(&sb, p), "softbank {p}");
    }
    for p in ["123.108.237.32", "210.228.189.192", "210.230.128.225"] {
        assert!(!trusted(&sb, p), "softbank {p}");
    }
    // IPv4-mapped IPv6 peers (dual-stack sockets) count as IPv4.
    assert!(trusted(&docomo, "::ffff:210.153.84.1"));
}

#[test]
fn s01_s02_rejections_are_reported() {
    let docomo = id_request(DOCOMO_UA, "X-DCMGUID", "abc1234");
    let t = Trust::builtin();
    let pc = detect(&docomo, Some(ip("198.51.100.7")), &t);
    assert!(!pc.subscriber_id_trusted && pc.subscriber_id().is_none());
    assert_eq!(pc.subscriber_id_rejected, Some(IdRejection::NotCarrierRange));
    assert!(pc.untrusted_id_presented());
    let full = detect(&docomo, Some(ip("210.153.87.1")), &t);
    assert_eq!(full.subscriber_id_rejected, Some(IdRejection::UntrustedRange));
    let wrong = detect(&docomo, Some(ip("123.108.237.1")), &t);
    assert_eq!(wrong.subscriber_id_rejected, Some(IdRejection::WrongCarrierRange));
    let none = detect(&docomo, None, &t);
    assert_eq!(none.subscriber_id_rejected, Some(IdRejection::NoPeer));
    // A PC UA sending a docomo header from the docomo range: carrier mismatch.
    let forged = id_request("Mozilla/5.0 (Windows NT 10.0)", "X-DCMGUID", "abc1234");
    let f = detect(&forged, Some(ip("210.153.84.1")), &t);
    assert_eq!(f.subscriber_id_rejected, Some(IdRejection::CarrierMismatch));
    assert_eq!(f.subscriber_id_kind, Some(IdKind::ImodeId));
    // Malformed values are dropped even from the right range.
    let bad = id_request(DOCOMO_UA, "X-DCMGUID", "abc 1234");
    assert_eq!(
        detect(&bad, Some(ip("210.153.84.1")), &t).subscriber_id_rejected,
        Some(IdRejection::Malformed)
    );
}

#[test]
fn empty_id_headers_are_absent() {
    for (ua, name) in [
        (DOCOMO_UA, "X-DCMGUID"),
        (AU_UA, "X-UP-SUBNO"),
        (SB_UA, "X-JPHONE-UID"),
        (SB_UA, "X-EM-UID"),
    ] {
        for value in ["", " ", "\t"] {
            let h =
                detect(&id_request(ua, name, value), Some(ip("210.153.84.1")), &Trust::builtin());
            assert_eq!(h.subscriber_id_kind, None, "{name}={value:?}");
            assert!(!h.untrusted_id_presented());
        }
    }
}

#[test]
fn crawlers_never_get_ids_or_sessions() {
    let ua = "DoCoMo/2.0 N905i(c100;TB;W24H16) (compatible; Googlebot-Mobile/2.1; +http://www.google.com/bot.html)";
    let h = detect(
        &id_request(ua, "X-DCMGUID", "abc1234"),
        Some(ip("210.153.84.1")),
        &Trust::builtin(),
    );
    assert_eq!(h.carrier, Carrier::Crawler);
    assert_eq!(h.imitates, Some(Carrier::Docomo));
    assert!(!h.sessions && !h.subscriber_id_trusted && h.subscriber_id().is_none());
    assert_eq!(h.subscriber_id_rejected, Some(IdRejection::Crawler));
    // The handset's markup is kept.
    assert_eq!(serde_json::to_value(&h).expect("json")["markup"], "xhtml");
    let y = "DoCoMo/2.0 SH902i (compatible; Y!J-SRD/1.0; http://help.yahoo.co.jp/help/jp/search/indexing/indexing-27.html)";
    let h =
        detect(&id_request(y, "X-DCMGUID", "abc1234"), Some(ip("210.153.84.1")), &Trust::builtin());
    assert_eq!((h.carrier, h.subscriber_id_trusted), (Carrier::Crawler, false));
}

#[test]
fn trusted_proxies_and_forwarded_headers() {
    let mut headers = id_request(DOCOMO_UA, "X-DCMGUID", "abc1234");
    headers.push("X-Forwarded-For", "210.153.84.1");
    // No trusted proxy: the forwarded header is ignored; the peer (localhost) is the client.
    assert!(!trusted(&headers, "127.0.0.1"));
    let t = Trust::new(
        Gateways::builtin().clone(),
        TrustedProxies::parse(&["127.0.0.1"]).expect("proxies"),
    );
    assert!(detect(&headers, Some(ip("127.0.0.1")), &t).subscriber_id_trusted);
    // The client cannot prepend a carrier address: only the rightmost untrusted hop counts.
    let mut spoof = id_request(DOCOMO_UA, "X-DCMGUID", "abc1234");
    spoof.push("X-Forwarded-For", "210.153.84.1, 198.51.100.9");
    assert!(!detect(&spoof, Some(ip("127.0.0.1")), &t).subscriber_id_trusted);
    assert_eq!(
        client_ip(ip("127.0.0.1"), spoof.header("x-forwarded-for"), None, &t.proxies),
        ip("198.51.100.9")
    );
}

#[test]
fn s06_reloaded_list_removes_and_adds_blocks() {
    let au = id_request(AU_UA, "X-UP-SUBNO", "01234567890123_ab.ezweb.ne.jp");
    let replaced = Gateways::from_toml_str(
        "[au]\nlast_verified = 2026-01-01\nsources = [\"test\"]\nbrowser = [\"192.0.2.0/24\"]\n",
    )
    .expect("replacement list");
    let t = Trust::new(replaced, TrustedProxies::none());
    assert!(!detect(&au, Some(ip("210.230.128.225")), &t).subscriber_id_trusted, "removed block");
    assert!(detect(&au, Some(ip("192.0.2.7")), &t).subscriber_id_trusted, "added block");
    let today = time::Date::from_calendar_date(2026, time::Month::May, 1).expect("date");
    assert_eq!(t.gateways.age_days(today), Some(120));
    assert!(t.gateways.is_stale(today));
    assert!(!Trust::nothing().gateways.is_stale(today));
}

#[test]
fn s09_raw_id_never_in_debug_or_json() {
    let raw = "zq81Kx7";
    let h = detect(
        &id_request(DOCOMO_UA, "X-DCMGUID", raw),
        Some(ip("210.153.84.1")),
        &Trust::builtin(),
    );
    assert!(h.subscriber_id_trusted);
    assert!(!format!("{h:?}").contains(raw));
    assert!(!serde_json::to_string(&h).expect("json").contains(raw));
    let id = h.subscriber_id().expect("trusted id");
    assert_eq!(id.keyed_hash_hex(b"k"), keyed_hash_hex(Carrier::Docomo, raw.as_bytes(), b"k"));
}

// --- Property tests ---------------------------------------------------------------------------

const HEADER_NAMES: &[&str] = &[
    "user-agent",
    "x-dcmguid",
    "x-up-subno",
    "x-jphone-uid",
    "x-em-uid",
    "x-jphone-msname",
    "x-jphone-display",
    "x-jphone-color",
    "x-jphone-java",
    "x-up-devcap-screenpixels",
    "x-up-devcap-screendepth",
    "x-up-devcap-iscolor",
    "x-up-devcap-screenchars",
    "x-up-devcap-max-pdu",
    "x-forwarded-for",
    "x-real-ip",
];

const UA_PREFIXES: &[&str] = &[
    "",
    "DoCoMo/1.0/",
    "DoCoMo/2.0 ",
    "DoCoMo/2.0 N905i(",
    "KDDI-",
    "UP.Browser/",
    "J-PHONE/",
    "Vodafone/1.0/",
    "SoftBank/1.0/",
    "MOT-",
    "Nokia",
    "Mozilla/3.0(WILLCOM;",
    "emobile/",
    "Mozilla/5.0 (iPhone",
    "Mozilla/5.0 (Linux; Android",
];

fn arb_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|x| IpAddr::from(std::net::Ipv4Addr::from(x))),
        any::<u128>().prop_map(|x| IpAddr::from(std::net::Ipv6Addr::from(x))),
        // Addresses near the carrier ranges.
        (0u8..=255).prop_map(|x| IpAddr::from([210, 153, 84, x])),
        (0u8..=255).prop_map(|x| IpAddr::from([123, 108, 237, x])),
    ]
}

fn arb_headers() -> impl Strategy<Value = HeaderList> {
    (
        prop::sample::select(UA_PREFIXES),
        prop::collection::vec(any::<u8>(), 0..80),
        prop::collection::vec(
            (prop::sample::select(HEADER_NAMES), prop::collection::vec(any::<u8>(), 0..40)),
            0..8,
        ),
    )
        .prop_map(|(prefix, tail, extra)| {
            let mut ua = prefix.as_bytes().to_vec();
            ua.extend_from_slice(&tail);
            let mut list = HeaderList::new();
            list.push("user-agent", ua);
            for (n, v) in extra {
                list.push(n, v);
            }
            list
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(headers in arb_headers(), peer in proptest::option::of(arb_ip()), https in any::<bool>()) {
        let h = detect_connection(&headers, Connection { peer, https }, &Trust::builtin());
        let _ = serde_json::to_string(&h).expect("serialises");
        prop_assert_eq!(h.subscriber_id_trusted, h.subscriber_id().is_some());
    }

    #[test]
    fn raw_header_blocks_never_panic(block in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(list) = HeaderList::parse(&block) {
            let _ = detect(&list, None, &Trust::builtin());
        }
    }

    #[test]
    fn untrusted_peer_never_yields_trusted_id(
        headers in arb_headers(),
        x in any::<u32>(),
    ) {
        let t = Trust::builtin();
        let peer = IpAddr::from(std::net::Ipv4Addr::from(x));
        let in_browser_range = matches!(t.gateways.classify(peer), ashiato_handset::GatewayMatch::Browser(_));
        let h = detect(&headers, Some(peer), &t);
        if !in_browser_range {
            prop_assert!(!h.subscriber_id_trusted);
            prop_assert!(h.subscriber_id().is_none());
        }
        // With no gateway list at all nothing is ever trusted.
        prop_assert!(!detect(&headers, Some(peer), &Trust::nothing()).subscriber_id_trusted);
    }

    #[test]
    fn forwarded_for_from_untrusted_peer_is_ignored(xff in prop::collection::vec(any::<u8>(), 0..60), x in any::<u32>()) {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).expect("proxies");
        let peer = IpAddr::from(std::net::Ipv4Addr::from(x));
        let got = client_ip(peer, Some(&xff), Some(&xff), &proxies);
        if !proxies.contains(peer) {
            prop_assert_eq!(got, peer);
        }
    }
}
