DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
ALTER TABLE members DROP COLUMN suspended_reason;
ALTER TABLE members DROP COLUMN suspended_at;
