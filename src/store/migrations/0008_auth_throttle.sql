-- Failed authentications, per client address and per account, shared by every replica on one
-- PostgreSQL store (src/identity/throttle.ts): N replicas count towards one limit, not N limits.
-- The shape is rate-limiter-flexible's Postgres backend's own: key = "<prefix>:<address or
-- account>", points = failures in the window, expire = end of the window (epoch ms).
CREATE TABLE vigil_auth_throttle (
  key    varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);

CREATE INDEX vigil_auth_throttle_expire_idx ON vigil_auth_throttle (expire);
