-- OpenSocial apps: the registry, installations, app data, activities, the OAuth nonce store and
-- the durable lifecycle-event queue. SQLite dialect; keep in step with ../../postgres/….

CREATE TABLE apps (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    gadget_url TEXT NOT NULL,
    gadget_xml TEXT NOT NULL,
    start_url TEXT NOT NULL,
    allowed_hosts TEXT NOT NULL,
    consumer_key TEXT NOT NULL UNIQUE,
    consumer_secret TEXT NOT NULL,
    addapp_url TEXT,
    removeapp_url TEXT,
    event_method TEXT NOT NULL DEFAULT 'POST',
    signature_method TEXT NOT NULL DEFAULT 'HMAC-SHA1',
    registered_by BIGINT REFERENCES members (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE app_installs (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    installed_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, member_id)
);
CREATE INDEX app_installs_member ON app_installs (member_id);

CREATE TABLE app_data (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    data_key TEXT NOT NULL,
    data_value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, member_id, data_key)
);

CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX activities_member ON activities (member_id, created_at);

CREATE TABLE oauth_nonces (
    consumer_key TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (consumer_key, nonce)
);
CREATE INDEX oauth_nonces_seen ON oauth_nonces (seen_at);

CREATE TABLE app_events (
    id INTEGER PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX app_events_due ON app_events (status, next_attempt_at);

-- The container's RSA key pair for RSA-SHA1 signed requests, made on first use; the public half
-- is published at /social/container.pem.
CREATE TABLE container_keys (
    name TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    public_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
