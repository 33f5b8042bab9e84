DROP TABLE mail_bounces;
ALTER TABLE mail_outbox DROP COLUMN bounce_tag;
