// Webhook signatures (docs/decisions/0014), the scheme Stripe uses:
//
//   Venture-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// The timestamp is inside the signed bytes, so a captured request cannot be replayed later with a
// fresh timestamp; receivers refuse a timestamp more than `toleranceSec` (5 minutes) away from
// their clock. Several v1= entries may appear (a future secret rotation signs with both secrets);
// one matching entry is enough. Receivers must compare in constant time and over the raw body
// bytes, before parsing JSON.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const signatureHeader = "venture-signature";
export const defaultToleranceSec = 300;

/** A new endpoint secret: "whsec_" + 32 random bytes, base64url. Shown once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

export function computeSignature(secret: string, timestampSec: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestampSec}.${body}`).digest("hex");
}

/** The Venture-Signature header value for this body at this time. */
export function signatureHeaderValue(secret: string, body: string, timestampSec: number): string {
  return `t=${timestampSec},v1=${computeSignature(secret, timestampSec, body)}`;
}

export type SignatureCheck =
  | { ok: true; timestampSec: number }
  | { ok: false; reason: "malformed" | "stale" | "mismatch" };

/**
 * Verifies a Venture-Signature header against the raw body, as a receiver should: parse, check the
 * timestamp's age, recompute, compare in constant time.
 */
export function verifyWebhookSignature(options: {
  secret: string;
  header: string | null | undefined;
  body: string;
  nowSec?: number;
  toleranceSec?: number;
}): SignatureCheck {
  const parts = (options.header ?? "").split(",").map((part) => part.trim().split("="));
  const timestamps = parts.filter(([key]) => key === "t").map(([, value]) => value ?? "");
  const signatures = parts.filter(([key]) => key === "v1").map(([, value]) => value ?? "");
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamps[0]!) || signatures.length === 0) {
    return { ok: false, reason: "malformed" };
  }
  const timestampSec = Number(timestamps[0]);
  const nowSec = options.nowSec ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowSec - timestampSec) > (options.toleranceSec ?? defaultToleranceSec)) {
    return { ok: false, reason: "stale" };
  }
  const expected = Buffer.from(computeSignature(options.secret, timestampSec, options.body), "hex");
  const matches = signatures.some((signature) => {
    if (!/^[0-9a-f]{64}$/.test(signature)) return false;
    return timingSafeEqual(expected, Buffer.from(signature, "hex"));
  });
  return matches ? { ok: true, timestampSec } : { ok: false, reason: "mismatch" };
}
