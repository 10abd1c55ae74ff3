// The cryptography of sealed personal data, without a database: a section opens only with its
// subject's key, for its own event; a wrapped key opens only under its master key, for its own
// subject; lookups ignore case and spaces; the catalog helper's stored schema.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { withPersonalData } from "./personal-data";
import {
  derivedSubjectId,
  lookupHash,
  masterKeyFrom,
  newDataKey,
  openFields,
  sealFields,
  unwrapDataKey,
  wrapDataKey,
} from "./personal-data-crypto";

const master = masterKeyFrom(randomBytes(32));

function seal(dataKey = newDataKey(), eventId = "evt_1") {
  return sealFields({
    dataKey,
    eventId,
    subjectType: "person",
    subjectId: "usr_1",
    keyId: "pk_1",
    fields: { name: "Ada Lovelace", email: "ada@example.test" },
  });
}

describe("sealed personal data", () => {
  it("opens with the subject's key for its own event, and holds no plaintext", () => {
    const dataKey = newDataKey();
    const section = seal(dataKey);
    expect(JSON.stringify(section)).not.toContain("Ada");
    expect(JSON.stringify(section)).not.toContain("example.test");
    expect(section.fields).toEqual(["email", "name"]);
    expect(openFields(dataKey, "evt_1", section)).toEqual({
      email: "ada@example.test",
      name: "Ada Lovelace",
    });
  });

  it("does not open with another key, for another event, or once a byte changed", () => {
    const dataKey = newDataKey();
    const section = seal(dataKey);
    expect(openFields(newDataKey(), "evt_1", section)).toBeNull();
    expect(openFields(dataKey, "evt_2", section)).toBeNull();
    const bytes = Buffer.from(section.ciphertext, "base64url");
    bytes[0] = bytes[0]! ^ 1;
    expect(openFields(dataKey, "evt_1", { ...section, ciphertext: bytes.toString("base64url") })).toBeNull();
    expect(openFields(dataKey, "evt_1", { ...section, subjectId: "usr_2" })).toBeNull();
  });

  it("uses a fresh IV per section, so equal data does not give equal ciphertext", () => {
    const dataKey = newDataKey();
    expect(seal(dataKey).ciphertext).not.toBe(seal(dataKey).ciphertext);
  });
});

describe("wrapped data keys", () => {
  it("unwrap under their master key for their subject and key id only", () => {
    const dataKey = newDataKey();
    const wrapped = wrapDataKey(master, "usr_1", "pk_1", dataKey);
    expect(unwrapDataKey(master, "usr_1", "pk_1", wrapped)?.equals(dataKey)).toBe(true);
    expect(unwrapDataKey(masterKeyFrom(randomBytes(32)), "usr_1", "pk_1", wrapped)).toBeNull();
    expect(unwrapDataKey(master, "usr_2", "pk_1", wrapped)).toBeNull();
    expect(unwrapDataKey(master, "usr_1", "pk_2", wrapped)).toBeNull();
    expect(unwrapDataKey(master, "usr_1", "pk_1", wrapped.subarray(1))).toBeNull();
  });

  it("name their master key by its fingerprint", () => {
    const key = randomBytes(32);
    expect(masterKeyFrom(key).id).toBe(masterKeyFrom(Buffer.from(key)).id);
    expect(masterKeyFrom(key).id).toMatch(/^mk_[0-9a-f]{24}$/);
    expect(() => masterKeyFrom(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe("lookups and derived subjects", () => {
  it("ignore case and surrounding spaces, and differ by field and master key", () => {
    expect(lookupHash(master, "email", " Ada@Example.TEST ")).toBe(
      lookupHash(master, "email", "ada@example.test"),
    );
    expect(lookupHash(master, "email", "ada@example.test")).not.toBe(
      lookupHash(master, "customer", "ada@example.test"),
    );
    expect(lookupHash(masterKeyFrom(randomBytes(32)), "email", "ada@example.test")).not.toBe(
      lookupHash(master, "email", "ada@example.test"),
    );
  });

  it("derive one subject per customer and portfolio", () => {
    const a = derivedSubjectId(master, "customer", "pf_1", "Grace Hopper");
    expect(a).toMatch(/^cus_[0-9a-f]{32}$/);
    expect(derivedSubjectId(master, "customer", "pf_1", " grace hopper")).toBe(a);
    expect(derivedSubjectId(master, "customer", "pf_2", "Grace Hopper")).not.toBe(a);
  });
});

describe("withPersonalData", () => {
  const entry = withPersonalData(
    {
      schemaVersion: 1,
      payload: z.object({ userId: z.string(), email: z.string(), plan: z.string() }).strict(),
    },
    { subjectType: "person", subject: { idField: "userId" }, fields: ["email"] },
  );

  it("stores the payload without the personal fields and with the sealed section", () => {
    const section = seal();
    expect(entry.storedPayload.safeParse({ userId: "usr_1", plan: "pro", pii: section }).success).toBe(true);
    // The plaintext next to the section, or no section at all, is refused.
    expect(
      entry.storedPayload.safeParse({ userId: "usr_1", plan: "pro", pii: section, email: "a@b" }).success,
    ).toBe(false);
    expect(entry.storedPayload.safeParse({ userId: "usr_1", plan: "pro" }).success).toBe(false);
    // What callers append with is unchanged.
    expect(entry.payload.safeParse({ userId: "usr_1", email: "a@b", plan: "pro" }).success).toBe(true);
  });
});
