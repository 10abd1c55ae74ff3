import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  computeSignature,
  newWebhookSecret,
  signatureHeaderValue,
  verifyWebhookSignature,
} from "./webhook-signing";

const secret = "whsec_test_secret";
const body = '{"id":"evt_1","type":"control.paused"}';

describe("webhook signatures", () => {
  it("signs HMAC-SHA256 over '<t>.<body>' as Stripe does, verifiable with plain node:crypto", () => {
    const header = signatureHeaderValue(secret, body, 1_700_000_000);
    const expected = createHmac("sha256", secret).update(`1700000000.${body}`).digest("hex");
    expect(header).toBe(`t=1700000000,v1=${expected}`);
    expect(verifyWebhookSignature({ secret, header, body, nowSec: 1_700_000_010 })).toEqual({
      ok: true,
      timestampSec: 1_700_000_000,
    });
  });

  it("refuses a changed body, another secret, a stale or future timestamp, and malformed headers", () => {
    const header = signatureHeaderValue(secret, body, 1_700_000_000);
    const now = 1_700_000_000;
    expect(verifyWebhookSignature({ secret, header, body: `${body} `, nowSec: now })).toMatchObject({
      reason: "mismatch",
    });
    expect(verifyWebhookSignature({ secret: "whsec_other", header, body, nowSec: now })).toMatchObject({
      reason: "mismatch",
    });
    expect(verifyWebhookSignature({ secret, header, body, nowSec: now + 301 })).toMatchObject({
      reason: "stale",
    });
    expect(verifyWebhookSignature({ secret, header, body, nowSec: now - 301 })).toMatchObject({
      reason: "stale",
    });
    for (const bad of [null, "", "v1=abc", "t=1700000000", "t=x,v1=00", "t=1,t=2,v1=00"]) {
      expect(verifyWebhookSignature({ secret, header: bad, body, nowSec: now })).toMatchObject({
        ok: false,
        reason: "malformed",
      });
    }
    // A replay with a fresh timestamp but the old signature does not verify.
    const replay = header.replace("t=1700000000", "t=1700000100");
    expect(verifyWebhookSignature({ secret, header: replay, body, nowSec: now + 100 })).toMatchObject({
      reason: "mismatch",
    });
  });

  it("accepts any one matching v1 entry (rotation) and rejects non-hex ones", () => {
    const t = 1_700_000_000;
    const good = computeSignature(secret, t, body);
    const header = `t=${t},v1=${"0".repeat(64)},v1=zz,v1=${good}`;
    expect(verifyWebhookSignature({ secret, header, body, nowSec: t })).toMatchObject({ ok: true });
  });

  it("verifies every body it signed and no body it did not (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 0, max: 4_000_000_000 }), (a, b, t) => {
        const header = signatureHeaderValue(secret, a, t);
        expect(verifyWebhookSignature({ secret, header, body: a, nowSec: t }).ok).toBe(true);
        if (a !== b) expect(verifyWebhookSignature({ secret, header, body: b, nowSec: t }).ok).toBe(false);
      }),
    );
  });

  it("makes distinct, prefixed secrets", () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
