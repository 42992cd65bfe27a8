-- The time of the result that made the announced change: a result taken at or before it (a
-- replica that lags, or replays what it saw during a failover) cannot change the state again.
ALTER TABLE vigil_alert_state ADD COLUMN as_of timestamptz;
