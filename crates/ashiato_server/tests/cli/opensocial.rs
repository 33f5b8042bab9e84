//! The Social API black-box suite: the real `ashiato` binary, the example app registered and
//! installed with `ashiato app`, data equivalent to Shindig's canonicaldb.json, and
//! `fixtures/opensocial/blackbox.py` signing with oauthlib (an OAuth implementation that is
//! neither ours nor the example app's) over real HTTP.

use std::process::Command;

use ashiato_core::account::{NewMember, Profile};
use ashiato_core::{MemberId, Scope, Timestamp};
use ashiato_store::{accounts, friends, relation, write};
use ashiato_test_support::example_app::{ExampleApp, repo_root, skipped};
use ashiato_test_support::{Suite, TestDb};

use crate::serve::start_with;
use crate::{ashiato, run};

pub fn register(suite: &mut Suite) {
    suite.on_both("social_api_black_box_with_oauthlib", black_box);
}

const NOW: Timestamp = Timestamp(1_764_115_200_000);

/// canonicaldb.json's people as members (nickname = displayName), with profile fields under
/// different scopes; john.doe's friends jane.doe, george.doe and maija.m; mario.rossi has
/// blocked george.doe.
fn seed(t: &TestDb) -> Vec<(&'static str, MemberId)> {
    let people = [
        ("john.doe", "Johnny"),
        ("jane.doe", "Janey"),
        ("george.doe", "Georgey"),
        ("mario.rossi", "Mario"),
        ("maija.m", "Maija"),
    ];
    let mut conn = t.db.conn().expect("connection");
    write(&mut conn, |c| {
        let mut ids = Vec::new();
        for (name, nick) in people {
            let new = NewMember::validate(&format!("{name}@example.jp"), nick, "kaminari-9-sora")
                .expect("valid member");
            ids.push((name, accounts::create_member(c, &new, "$unused", NOW)?));
        }
        let id = |n: &str| ids.iter().find(|(x, _)| *x == n).map(|(_, i)| *i).expect("seeded");
        let profile = |intro: &str, scope: Scope, birthday| Profile {
            introduction: intro.into(),
            introduction_scope: scope,
            birthday,
            birthday_scope: Scope::Public,
            ..Profile::default()
        };
        accounts::update_profile(
            c,
            id("john.doe"),
            &profile(
                "I have an example of every piece of data",
                Scope::Friends,
                Some((1975, 1, 1)),
            ),
            NOW,
        )?;
        accounts::update_profile(
            c,
            id("jane.doe"),
            &profile("Janey writes to her friends", Scope::Friends, None),
            NOW,
        )?;
        accounts::update_profile(
            c,
            id("george.doe"),
            &profile("George keeps this to himself", Scope::Private, None),
            NOW,
        )?;
        for f in ["jane.doe", "george.doe", "maija.m"] {
            friends::befriend(c, id("john.doe"), id(f), NOW)?;
        }
        relation::block(c, id("mario.rossi"), id("george.doe"), NOW)?;
        Ok::<_, ashiato_store::StoreError>(ids)
    })
    .expect("seed canonicaldb people")
}

fn black_box(t: &TestDb) {
    let Some(ex) = ExampleApp::start() else { return };
    let ok =
        Command::new("python3").args(["-c", "import oauthlib"]).status().is_ok_and(|s| s.success());
    if !ok {
        skipped("python3 oauthlib missing (pip install oauthlib): Social API black box not run");
        return;
    }
    let people = seed(t);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = t.url.to_string();
    let allow = [("ASHIATO_APP_ALLOW_PRIVATE_HOSTS", "127.0.0.1")];
    let cli = |args: &[&str]| {
        let r = run(ashiato()
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--database", &db])
            .args(args)
            .envs(allow));
        assert_eq!(r.code, 0, "ashiato {args:?}: {}{}", r.stdout, r.stderr);
        r.stdout
    };
    // Registration from the command line prints the credentials once.
    let out = cli(&["app", "add", "--gadget", &format!("{}/gadget.xml", ex.base())]);
    let value = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} missing from {out}"))
            .to_owned()
    };
    let app_id: i64 = value("app_id").parse().expect("numeric id");
    let (key, secret) = (value("consumer_key"), value("consumer_secret"));
    assert_eq!(value("start_url"), format!("{}/mobile", ex.base()));
    ex.set_credentials(&key, &secret, app_id);
    // Installs happen before the server runs: the durable queue delivers them once it does.
    for name in ["john.doe", "jane.doe", "george.doe", "mario.rossi"] {
        let out = cli(&[
            "app",
            "install",
            "--app",
            &app_id.to_string(),
            "--email",
            &format!("{name}@example.jp"),
        ]);
        assert!(out.starts_with("installed app"), "{out}");
    }
    let again =
        cli(&["app", "install", "--app", &app_id.to_string(), "--email", "john.doe@example.jp"]);
    assert!(again.starts_with("already installed"), "{again}");
    let bad = run(ashiato().arg("--data-dir").arg(dir.path()).args([
        "--database",
        &db,
        "app",
        "add",
        "--gadget",
        "http://169.254.169.254/gadget.xml",
    ]));
    assert_eq!(bad.code, 65, "{}", bad.stderr);
    assert!(bad.stderr.contains("not public"), "{}", bad.stderr);

    let server = start_with(dir.path(), &db, &[], &allow);
    let people_arg: Vec<String> = people.iter().map(|(n, id)| format!("{n}={}", id.0)).collect();
    let script = repo_root().join("fixtures/opensocial/blackbox.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--container", &format!("http://{}", server.addr)])
        // `--key=…`: a random key or secret may start with '-', which argparse would
        // otherwise take for an option.
        .args(["--app", &ex.base(), &format!("--key={key}"), &format!("--secret={secret}")])
        .args(["--app-id", &app_id.to_string(), "--people", &people_arg.join(",")])
        .output()
        .expect("run blackbox.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = server.log.lock().expect("log").clone();
    assert!(
        out.status.success(),
        "black box failed:\n{stdout}\n{}\nserver log:\n{log}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all ") && stdout.contains(" checks passed"), "{stdout}");
    let checks: usize = stdout
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .expect("check count");
    assert!(checks >= 60, "only {checks} checks ran:\n{stdout}");
}
