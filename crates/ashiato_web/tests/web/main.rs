//! Web tests: the real router behind a real HTTP listener on loopback, on both backends.

mod admin;
mod apps;
mod auth;
mod dialects;
mod handset;
mod hostile;
mod mail;
mod moderation;
mod photos;
mod recovery;
mod sns;
mod support;

use ashiato_test_support::Suite;

fn main() {
    let mut suite = Suite::new();
    admin::register(&mut suite);
    apps::register(&mut suite);
    auth::register(&mut suite);
    dialects::register(&mut suite);
    handset::register(&mut suite);
    hostile::register(&mut suite);
    mail::register(&mut suite);
    moderation::register(&mut suite);
    photos::register(&mut suite);
    recovery::register(&mut suite);
    sns::register(&mut suite);
    suite.run();
}
