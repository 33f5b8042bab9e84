-- ashiato initial schema, SQLite dialect. Keep in step with ../../postgres/ (same tables,
-- columns, types and constraints); tests/store compares both with src/schema.rs.
-- Ids: only `INTEGER PRIMARY KEY` aliases the rowid in SQLite. Times: epoch milliseconds (UTC).

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    nickname TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    introduction TEXT NOT NULL DEFAULT '',
    introduction_scope TEXT NOT NULL DEFAULT 'public',
    birthday TEXT,
    birthday_scope TEXT NOT NULL DEFAULT 'friends',
    area TEXT NOT NULL DEFAULT '',
    area_scope TEXT NOT NULL DEFAULT 'public',
    friends_scope TEXT NOT NULL DEFAULT 'public',
    default_diary_scope TEXT NOT NULL DEFAULT 'friends',
    stealth_footsteps BOOLEAN NOT NULL DEFAULT FALSE,
    search_opt_out BOOLEAN NOT NULL DEFAULT FALSE,
    language TEXT NOT NULL DEFAULT 'ja',
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX members_nickname ON members (nickname);

CREATE TABLE profile_fields (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    value TEXT NOT NULL,
    scope TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX profile_fields_member ON profile_fields (member_id, position);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    email TEXT,
    inviter_id BIGINT REFERENCES members (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by BIGINT REFERENCES members (id) ON DELETE SET NULL
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    member_id BIGINT REFERENCES members (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    transport TEXT NOT NULL,
    subscriber_hash TEXT,
    easy_login BOOLEAN NOT NULL DEFAULT FALSE,
    flash TEXT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_member ON sessions (member_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE subscriber_bindings (
    subscriber_hash TEXT PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    carrier TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX subscriber_bindings_member ON subscriber_bindings (member_id);

CREATE TABLE friendships (
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    friend_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, friend_id),
    CHECK (member_id <> friend_id)
);
CREATE INDEX friendships_friend ON friendships (friend_id);

CREATE TABLE friend_requests (
    id INTEGER PRIMARY KEY,
    from_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    to_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    message TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    CHECK (from_id <> to_id)
);
CREATE UNIQUE INDEX friend_requests_one_pending ON friend_requests (from_id, to_id) WHERE status = 'pending';
CREATE INDEX friend_requests_to ON friend_requests (to_id, status);

CREATE TABLE introductions (
    author_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    subject_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (author_id, subject_id)
);
CREATE INDEX introductions_subject ON introductions (subject_id);

CREATE TABLE blocks (
    blocker_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    blocked_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id);

CREATE TABLE diary_entries (
    id INTEGER PRIMARY KEY,
    author_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    scope TEXT NOT NULL,
    comment_count INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX diary_entries_author ON diary_entries (author_id, created_at);
CREATE INDEX diary_entries_created ON diary_entries (created_at);

CREATE TABLE diary_comments (
    id INTEGER PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES diary_entries (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX diary_comments_entry ON diary_comments (entry_id, created_at);
CREATE INDEX diary_comments_author ON diary_comments (author_id);

CREATE TABLE footsteps (
    owner_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    visitor_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    visited_at BIGINT NOT NULL,
    PRIMARY KEY (owner_id, visitor_id, day)
);
CREATE INDEX footsteps_owner_time ON footsteps (owner_id, visited_at);
CREATE INDEX footsteps_visitor ON footsteps (visitor_id);

CREATE TABLE footstep_totals (
    owner_id BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    total BIGINT NOT NULL
);

CREATE TABLE communities (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    join_policy TEXT NOT NULL,
    topic_visibility TEXT NOT NULL,
    admin_id BIGINT REFERENCES members (id) ON DELETE SET NULL,
    member_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX communities_name ON communities (name);

CREATE TABLE community_members (
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (community_id, member_id)
);
CREATE INDEX community_members_member ON community_members (member_id);

CREATE TABLE topics (
    id INTEGER PRIMARY KEY,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    comment_count INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL
);
CREATE INDEX topics_community ON topics (community_id, last_activity_at);

CREATE TABLE topic_comments (
    id INTEGER PRIMARY KEY,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX topic_comments_topic ON topic_comments (topic_id, created_at);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    sender_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    recipient_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    reply_to BIGINT REFERENCES messages (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    sender_deleted BOOLEAN NOT NULL DEFAULT FALSE,
    recipient_deleted BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX messages_inbox ON messages (recipient_id, created_at);
CREATE INDEX messages_outbox ON messages (sender_id, created_at);
