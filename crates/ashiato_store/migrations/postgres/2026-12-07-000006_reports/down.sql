ALTER TABLE apps DROP COLUMN review_state;
ALTER TABLE topic_comments DROP COLUMN edited_at;
ALTER TABLE topics DROP COLUMN edited_at;
ALTER TABLE community_members DROP COLUMN role;
DROP TABLE mutes;
DROP TABLE tombstones;
DROP TABLE reports;
