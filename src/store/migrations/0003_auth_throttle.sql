-- Failed authentications per client address, shared by every replica on one PostgreSQL store
-- (src/coordination/shared-throttle.ts): N replicas count towards one limit, not N limits.

CREATE TABLE vigil_auth_failures (
  key          text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  failures     integer NOT NULL
);

CREATE INDEX vigil_auth_failures_window_idx ON vigil_auth_failures (window_start);
