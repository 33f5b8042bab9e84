-- Bounces (issue 19): each outgoing mail gets a random tag for its VERP envelope sender
-- (bounce-<id>-<tag>@<mail_domain>), so a delivery status notification names the mail it
-- is about and nobody can forge one for an address they never received a mail for.
ALTER TABLE mail_outbox ADD COLUMN bounce_tag TEXT NOT NULL DEFAULT '';

-- Bounces counted per recipient address; after mail_bounce_limit hard bounces the address is
-- undeliverable and gets no notification mails until its owner confirms it again.
CREATE TABLE mail_bounces (
    address TEXT PRIMARY KEY NOT NULL,
    hard_bounces INTEGER NOT NULL DEFAULT 0,
    soft_bounces INTEGER NOT NULL DEFAULT 0,
    last_status TEXT NOT NULL DEFAULT '',
    last_bounce_at BIGINT NOT NULL,
    undeliverable_at BIGINT
);
