-- Source history: one row per stretch of one status (every status change), and run counts
-- with a latency histogram per source per hour (compacted to one row per day after two
-- days), so 10,000 sources at a 10 s interval stay at a bounded size whatever the run count.
CREATE TABLE vigil_history_spans (
  id          bigserial PRIMARY KEY,
  source      text        NOT NULL,
  status      text        NOT NULL,
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz
);
CREATE INDEX vigil_history_spans_source_started ON vigil_history_spans (source, started_at);
CREATE UNIQUE INDEX vigil_history_spans_one_open ON vigil_history_spans (source) WHERE ended_at IS NULL;

CREATE TABLE vigil_history_buckets (
  source          text             NOT NULL,
  width           text             NOT NULL CHECK (width IN ('hour', 'day')),
  bucket_start    timestamptz      NOT NULL,
  runs            integer          NOT NULL,
  up_runs         integer          NOT NULL,
  latency_sum_ms  double precision NOT NULL,
  latency_max_ms  double precision NOT NULL,
  histogram       integer[]        NOT NULL,
  PRIMARY KEY (source, width, bucket_start)
);
