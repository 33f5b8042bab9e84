//! Encoding benchmark placeholder.
fn main() {}
