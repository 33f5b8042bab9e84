DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
ALTER TABLE members DROP COLUMN suspended_reason;
ALTER TABLE members DROP COLUMN suspended_at;
