-- ---------------------------------------------------------------------------------------------
-- The two statement triggers that serve raw writers (ADR 0004) are skipped by a WHEN condition
-- when the ledger's own functions write (ledger.writer = 'on'), instead of being called to return
-- at once. Same outcome on every path — each function's first step was this very test — without a
-- PL/pgSQL call on every posting and every balance update: the one-transfer write path measured
-- ~5% more server CPU than a minimal raw-SQL transfer (bench/ledger.bench.ts).
-- ---------------------------------------------------------------------------------------------
DROP TRIGGER ledger_postings_raw_writer ON ledger_postings;
CREATE TRIGGER ledger_postings_raw_writer
  AFTER INSERT ON ledger_postings
  REFERENCING NEW TABLE AS new_postings
  FOR EACH STATEMENT
  WHEN (current_setting('ledger.writer', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION ledger_apply_raw_postings();

DROP TRIGGER ledger_accounts_no_direct_update ON ledger_accounts;
CREATE TRIGGER ledger_accounts_no_direct_update
  BEFORE UPDATE ON ledger_accounts
  FOR EACH STATEMENT
  WHEN (current_setting('ledger.writer', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION ledger_guard_account_update();
