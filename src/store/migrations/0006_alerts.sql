-- Alerts: the announced state of each source (down and notified, with the incident's number)
-- and the outbox of deliveries, one row per notifier per event, sent and retried from here.
CREATE TABLE vigil_alert_state (
  source               text PRIMARY KEY,
  down                 boolean     NOT NULL,
  notified             boolean     NOT NULL,
  incident_started_at  timestamptz,
  incident_seq         bigint      NOT NULL DEFAULT 0,
  updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vigil_alert_outbox (
  id               bigserial   PRIMARY KEY,
  notifier         text        NOT NULL,
  source           text        NOT NULL,
  -- notifier|source#incident|event: an event is queued once per notifier, whoever queues it.
  dedup_key        text        NOT NULL UNIQUE,
  event            jsonb       NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  gave_up_at       timestamptz,
  last_error       text
);
CREATE INDEX vigil_alert_outbox_pending ON vigil_alert_outbox (notifier, source, id) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX vigil_alert_outbox_due ON vigil_alert_outbox (next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
