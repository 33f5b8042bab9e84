-- Accounts that recover: mailed single-use links (password reset, address confirmation) and
-- which addresses a member has confirmed (docs/accounts.md).
-- SQLite dialect; keep in step with ../../postgres/2026-12-07-000001_recovery/.

-- A mailed link's secret is never stored: token_hash is its SHA-256. purpose is 'reset' or
-- 'verify'; email is the address the link was mailed to (a confirmation confirms exactly that
-- address, and only while it is still the member's). used_at makes a link single-use.
CREATE TABLE account_tokens (
    id INTEGER PRIMARY KEY,
    purpose TEXT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_tokens_member ON account_tokens (member_id, purpose);
-- Rate limits count recent links per address.
CREATE INDEX account_tokens_email ON account_tokens (email, created_at);

-- Notification mails go only to a confirmed address. Members who joined before this step
-- keep getting mail where they did: their addresses count as confirmed.
ALTER TABLE members ADD COLUMN email_confirmed_at BIGINT;
UPDATE members SET email_confirmed_at = created_at;
ALTER TABLE member_mail ADD COLUMN phone_confirmed_at BIGINT;
UPDATE member_mail SET phone_confirmed_at = updated_at WHERE phone_address IS NOT NULL;
