-- Photos: sanitised masters, content-addressed on disk (data_dir/photos/), referenced here.
-- SQLite dialect; keep in step with ../../postgres/2026-11-26-000002_photos/.

CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    frames INTEGER NOT NULL,
    byte_size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX photos_owner ON photos (owner_id, created_at);
CREATE INDEX photos_sha256 ON photos (sha256);

-- Up to three photos per diary entry, in order.
CREATE TABLE diary_photos (
    entry_id BIGINT NOT NULL REFERENCES diary_entries (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    photo_id BIGINT NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    PRIMARY KEY (entry_id, position)
);
CREATE INDEX diary_photos_photo ON diary_photos (photo_id);

-- A member's profile photo and a community's image (tables rather than columns, so that the
-- down migration is a plain DROP on both engines).
CREATE TABLE member_photos (
    member_id BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    photo_id BIGINT NOT NULL REFERENCES photos (id) ON DELETE CASCADE
);
CREATE INDEX member_photos_photo ON member_photos (photo_id);

CREATE TABLE community_photos (
    community_id BIGINT PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    photo_id BIGINT NOT NULL REFERENCES photos (id) ON DELETE CASCADE
);
CREATE INDEX community_photos_photo ON community_photos (photo_id);
