//! Storage tests. Every test that touches a database runs twice, on SQLite and on PostgreSQL
//! (`ASHIATO_TEST_POSTGRES`), each on a fresh database.

mod accounts;
mod apps;
mod entry_page;
mod feeds;
mod footsteps;
mod mail;
mod schema;
mod scopes;
mod sessions;

use ashiato_test_support::Suite;

fn main() {
    let mut suite = Suite::new();
    schema::register(&mut suite);
    accounts::register(&mut suite);
    apps::register(&mut suite);
    sessions::register(&mut suite);
    scopes::register(&mut suite);
    entry_page::register(&mut suite);
    footsteps::register(&mut suite);
    feeds::register(&mut suite);
    mail::register(&mut suite);
    suite.run();
}
