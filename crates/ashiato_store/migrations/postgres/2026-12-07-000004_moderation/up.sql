-- Moderation: suspended members and the audit log of what staff did (docs/operations.md).
-- PostgreSQL dialect; keep in step with ../../sqlite/2026-12-07-000004_moderation/.

-- A suspended member cannot log in and their content is hidden from others until unsuspended
-- (never deleted by the suspension).
ALTER TABLE members ADD COLUMN suspended_at BIGINT;
ALTER TABLE members ADD COLUMN suspended_reason TEXT;

-- One row per admin action, append-only: who (the member, or the command line), when, what,
-- on what, why. The trigger refuses any change to a written row (actor_id alone may become
-- NULL when the acting member withdraws: ON DELETE SET NULL).
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor TEXT NOT NULL,
    actor_id BIGINT REFERENCES members (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_log is append-only';
    END IF;
    IF (NEW.id, NEW.actor, NEW.action, NEW.target, NEW.reason, NEW.created_at)
        IS DISTINCT FROM (OLD.id, OLD.actor, OLD.action, OLD.target, OLD.reason, OLD.created_at) THEN
        RAISE EXCEPTION 'audit_log is append-only';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
