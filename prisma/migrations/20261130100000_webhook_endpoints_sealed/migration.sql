-- ---------------------------------------------------------------------------------------------
-- Webhook endpoints' URL and signing secret are stored sealed (AES-256-GCM under a key derived
-- from the personal-data master key, which is not in the database; ADR 0014): "wh1:" + base64url.
-- Rows written before hold them in clear until the notifier seals them at start, so the row check
-- accepts either form; the URL's http(s) rule is checked before sealing (parseWebhookUrl).
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION venture_check_webhook_endpoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status NOT IN ('active', 'disabled') THEN
    RAISE EXCEPTION 'webhook endpoint status % is not active or disabled', NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.url !~ '^(wh1:|https?://)' THEN
    RAISE EXCEPTION 'webhook endpoint url must be sealed (wh1:) or http(s)' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.secret !~ '^(wh1:|whsec_)' THEN
    RAISE EXCEPTION 'webhook endpoint secret must be sealed (wh1:)' USING ERRCODE = 'check_violation';
  END IF;
  IF coalesce(array_length(NEW.event_types, 1), 0) = 0 THEN
    RAISE EXCEPTION 'webhook endpoint without event types' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
