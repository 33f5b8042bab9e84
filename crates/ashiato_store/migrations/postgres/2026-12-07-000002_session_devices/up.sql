-- Which handset each session belongs to, for the member's list of sessions (settings).
-- PostgreSQL dialect; keep in step with ../../sqlite/2026-12-07-000002_session_devices/.
-- device: the model or browser as detected (never a subscriber ID); carrier: docomo, au, …
ALTER TABLE sessions ADD COLUMN device TEXT;
ALTER TABLE sessions ADD COLUMN carrier TEXT;
