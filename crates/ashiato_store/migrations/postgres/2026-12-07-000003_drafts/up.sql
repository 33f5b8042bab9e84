-- Drafts that survive the session: what a member typed into a diary, comment or message form
-- when the session had expired by the time it was sent (docs/accounts.md).
-- PostgreSQL dialect; keep in step with ../../sqlite/2026-12-07-000003_drafts/.
-- key_hash is the SHA-256 of the form's draft key (never the key); target is the form page
-- to return to; fields the typed text fields as a JSON object.
CREATE TABLE drafts (
    key_hash TEXT PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX drafts_member ON drafts (member_id, created_at);
