-- ---------------------------------------------------------------------------------------------
-- Sealing without row locks on the log (ADR 0005).
--
-- Each chain row's foreign key to event_log made the sealer lock the event's row (FOR KEY SHARE):
-- a WAL record and a dirtied heap page per event, on the very pages concurrent appends write, and
-- one executor start per INSERT in the loop. The sealer reads the events it chains from event_log
-- in the same statement, so the key can only ever point at a row that exists, and event_log
-- refuses UPDATE, DELETE and TRUNCATE; verifyEventLog names a chain row without its event
-- ("removed") either way. The hashes are still computed one after the other (each needs the one
-- before), then written in one INSERT.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE "event_chain" DROP CONSTRAINT "event_chain_event_id_fkey";

CREATE OR REPLACE FUNCTION venture_seal_events(p_limit int) RETURNS int LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_seq bigint;
  v_hash text;
  v_prev text;
  v_positions bigint[];
  v_seqs bigint[] := '{}';
  v_ids text[] := '{}';
  v_prevs text[] := '{}';
  v_hashes text[] := '{}';
  r record;
BEGIN
  IF NOT pg_try_advisory_xact_lock(7140111) THEN
    RETURN 0;
  END IF;
  WITH claimed AS (
    DELETE FROM outbox WHERE position IN (SELECT position FROM outbox ORDER BY position LIMIT p_limit)
    RETURNING position
  )
  SELECT array_agg(position) INTO v_positions FROM claimed;
  IF v_positions IS NULL THEN
    RETURN 0;
  END IF;
  SELECT h.sequence, h.hash INTO v_seq, v_hash FROM chain_head h WHERE h.id = 1 FOR UPDATE;
  FOR r IN SELECT e.id, e.envelope FROM event_log e WHERE e.position = ANY(v_positions) ORDER BY e.position LOOP
    v_seq := v_seq + 1;
    v_prev := v_hash;
    v_hash := encode(sha256(convert_to(v_prev || '|' || v_seq::text || '|' || r.envelope, 'UTF8')), 'hex');
    v_seqs := v_seqs || v_seq;
    v_ids := v_ids || r.id;
    v_prevs := v_prevs || v_prev;
    v_hashes := v_hashes || v_hash;
  END LOOP;
  INSERT INTO event_chain (sequence, event_id, prev_hash, hash)
    SELECT * FROM unnest(v_seqs, v_ids, v_prevs, v_hashes);
  UPDATE chain_head SET sequence = v_seq, hash = v_hash WHERE id = 1;
  RETURN cardinality(v_seqs);
END;
$$;
