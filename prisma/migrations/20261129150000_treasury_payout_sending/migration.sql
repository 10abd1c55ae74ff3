-- Voiding a held payout (TREAS-004/007, UJ-3; ADR 0011, "Voiding a payout that has not left").
-- Hand-written.

-- When the worker began sending the payout to its rail (set in the same transaction that checked
-- the kill-switch and the freezes, before the call). NULL: the payout was never sent, so the rail
-- cannot have it and a finance controller may void its hold. Once set it stays set: a call that
-- failed in transit may still have reached the rail, so such a payout waits for the rail's answer.
ALTER TABLE "treasury_payouts" ADD COLUMN "sending_started_at" TIMESTAMPTZ(3);
