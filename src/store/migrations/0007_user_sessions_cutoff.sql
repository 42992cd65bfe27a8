-- Disabling a user ends their sessions for good (issue 11.9). Each user has a session epoch,
-- raised when the user is disabled; a session carries the epoch its user had at login and is
-- refused once they differ, so re-enabling the user revives none of the old sessions. (An epoch
-- rather than deleting rows: sessions may live in Redis, which cannot be listed per user; and
-- no clock is compared, so replicas and the CLI on other hosts agree.)
ALTER TABLE users ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_epoch integer NOT NULL DEFAULT 0;
