ALTER TABLE sessions DROP COLUMN carrier;
ALTER TABLE sessions DROP COLUMN device;
