-- Post by mail and notification mail (docs/mail.md).
-- SQLite dialect; keep in step with ../../postgres/2026-11-26-000003_mail/.

-- Per-member mail settings. The posting token itself is never stored: token_nonce is the
-- random input it is derived from under the server secret, token_digest its SHA-256 (what
-- an incoming address is looked up by). Both NULL until the member first gets an address.
CREATE TABLE member_mail (
    member_id BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    token_nonce TEXT,
    token_digest TEXT UNIQUE,
    phone_address TEXT,
    notify_friend_request BOOLEAN NOT NULL,
    notify_friend_accepted BOOLEAN NOT NULL,
    notify_message BOOLEAN NOT NULL,
    notify_comment BOOLEAN NOT NULL,
    notify_topic BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Exactly once: one row per (member, Message-ID or content hash), inserted in the same
-- transaction as the post it made.
CREATE TABLE mail_receipts (
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    dedup_key TEXT NOT NULL,
    action TEXT NOT NULL,
    target_id BIGINT,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, dedup_key)
);

-- The durable outbox: composed messages waiting for the SMTP relay. status is queued,
-- sending (claimed by a worker until claimed_until), sent or failed.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    member_id BIGINT REFERENCES members (id) ON DELETE CASCADE,
    to_address TEXT NOT NULL,
    kind TEXT NOT NULL,
    message BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_to ON mail_outbox (to_address, created_at);
