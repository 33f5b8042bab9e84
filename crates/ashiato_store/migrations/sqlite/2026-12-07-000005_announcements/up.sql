-- Announcements (お知らせ) the operators show at the top of every member's home between two
-- times (docs/operations.md).
-- SQLite dialect; keep in step with ../../postgres/2026-12-07-000005_announcements/.
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES members (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX announcements_window ON announcements (ends_at, starts_at);
