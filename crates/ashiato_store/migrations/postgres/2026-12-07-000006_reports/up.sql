-- Reports (通報), removed content's tombstones, mutes, community sub-admins and edits, and app
-- review (docs/operations.md).
-- PostgreSQL dialect; keep in step with ../../sqlite/2026-12-07-000006_reports/.

-- A member's report on something they can see, named by its page path (`/diary/5`). One open
-- report per member per target: a second one folds into the first.
CREATE TABLE reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id BIGINT REFERENCES members (id) ON DELETE SET NULL,
    target TEXT NOT NULL,
    category TEXT NOT NULL,
    note TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    action TEXT NOT NULL DEFAULT '',
    resolution TEXT NOT NULL DEFAULT '',
    handled_by BIGINT REFERENCES members (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    handled_at BIGINT
);
CREATE UNIQUE INDEX reports_one_open ON reports (reporter_id, target) WHERE state = 'open';
CREATE INDEX reports_state ON reports (state, created_at);
CREATE INDEX reports_target ON reports (target);

-- What the operators removed, by page path: an old link shows that it was removed.
CREATE TABLE tombstones (
    target TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    removed_at BIGINT NOT NULL
);

-- ミュート: the muted member's posts and footsteps leave the member's own pages, silently.
CREATE TABLE mutes (
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    muted_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, muted_id)
);

-- A community's sub-admins moderate beside its admin.
ALTER TABLE community_members ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
-- When an author last edited a topic or topic comment.
ALTER TABLE topics ADD COLUMN edited_at BIGINT;
ALTER TABLE topic_comments ADD COLUMN edited_at BIGINT;

-- App review: members see an app only once it is approved; a suspended app's key stops at
-- once. Apps already registered stay live.
ALTER TABLE apps ADD COLUMN review_state TEXT NOT NULL DEFAULT 'approved';
