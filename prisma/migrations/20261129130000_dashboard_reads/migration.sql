-- The founder dashboard's and the reports' period reads (ADR 0012, "Dashboard at full size").
--
-- readActivity sums what each revenue and expense account of a portfolio posted over a period of
-- days: per account, one range scan of ledger_closed_daily_totals over (account_id, day), plus the
-- account's latest day from its own row. With the amounts in the index the scan is index only: it
-- never visits the table, whose rows for one account are spread over as many pages as days (an
-- account's days close one at a time, interleaved with every other account's). Rows are written
-- here once per account and day (when the account's next day begins, or by a back-dated entry),
-- never on a transfer's common path, so the second index costs the ledger's writes nothing there.
CREATE INDEX "ledger_closed_daily_totals_window_idx" ON "ledger_closed_daily_totals" ("account_id", "day")
  INCLUDE ("debits_minor", "credits_minor");
