-- Replicas on one PostgreSQL store (src/coordination/): who is alive, who probes which source
-- (a lease with an epoch that grows on every change of owner), and the latest result of each
-- source as the owner published it. A result carries its lease epoch and a global sequence;
-- the store keeps only the greatest (epoch, seq), so a paused owner that wakes after its
-- lease moved cannot write over a newer result.

CREATE TABLE vigil_replicas (
  id         text PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at    timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

CREATE TABLE vigil_source_leases (
  source     text PRIMARY KEY,
  -- NULL: free (released, or never taken).
  owner      text,
  epoch      bigint NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL DEFAULT '-infinity',
  changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX vigil_source_leases_owner_idx ON vigil_source_leases (owner);

CREATE SEQUENCE vigil_source_result_seq;

CREATE TABLE vigil_source_results (
  source     text PRIMARY KEY,
  epoch      bigint NOT NULL,
  seq        bigint NOT NULL,
  owner      text NOT NULL,
  result     jsonb NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now()
);
