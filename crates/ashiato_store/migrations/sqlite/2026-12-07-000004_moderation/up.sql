-- Moderation: suspended members and the audit log of what staff did (docs/operations.md).
-- SQLite dialect; keep in step with ../../postgres/2026-12-07-000004_moderation/.

-- A suspended member cannot log in and their content is hidden from others until unsuspended
-- (never deleted by the suspension).
ALTER TABLE members ADD COLUMN suspended_at BIGINT;
ALTER TABLE members ADD COLUMN suspended_reason TEXT;

-- One row per admin action, append-only: who (the member, or the command line), when, what,
-- on what, why. The triggers refuse any change to a written row.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    actor TEXT NOT NULL,
    actor_id BIGINT REFERENCES members (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OF id, actor, action, target, reason, created_at
    ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
