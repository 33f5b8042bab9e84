//! The real `ashiato` binary: operator commands, clear failures, and `serve --demo` on both
//! backends with a browser logging in over HTTP.

mod backup;
mod commands;
mod crash;
mod lmtp;
mod mail;
mod moderation;
mod opensocial;
mod recovery;
mod relay;
mod serve;

use ashiato_test_support::Suite;

fn main() {
    let mut suite = Suite::new();
    commands::register(&mut suite);
    backup::register(&mut suite);
    opensocial::register(&mut suite);
    serve::register(&mut suite);
    crash::register(&mut suite);
    mail::register(&mut suite);
    lmtp::register(&mut suite);
    recovery::register(&mut suite);
    relay::register(&mut suite);
    moderation::register(&mut suite);
    suite.run();
}

/// The binary under test.
pub(crate) fn ashiato() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ashiato"));
    // The developer's own settings must not leak into tests.
    for (k, _) in std::env::vars() {
        if k.starts_with("ASHIATO_") && !k.starts_with("ASHIATO_TEST_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Output of a finished command.
pub(crate) struct Ran {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn run(cmd: &mut std::process::Command) -> Ran {
    let out = cmd.output().expect("run ashiato");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
