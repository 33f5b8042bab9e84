DROP TABLE container_keys;
DROP TABLE app_events;
DROP TABLE oauth_nonces;
DROP TABLE activities;
DROP TABLE app_data;
DROP TABLE app_installs;
DROP TABLE apps;
