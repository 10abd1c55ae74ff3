import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chainHash, genesisHash } from "@/server/shared/events/chain";
import { checkCheckpoints, databaseSource } from "./checkpoint-checks";
import { checkpointDue } from "./checkpoint-rules";
import { decidePackPeriod } from "./evidence-packs";
import {
  type AuditPublicKey,
  checkpointBytes,
  checkpointSignatureProblem,
  keyIdOf,
  loadPublicKeys,
  type SignedCheckpoint,
  signBytes,
} from "./signing";

const schedule = { everyEvents: 1_000, everySeconds: 60 };
const t0 = new Date("2026-11-27T10:00:00.000Z");

describe("checkpointDue", () => {
  it("signs the first checkpoint as soon as the log has an event, and never for an empty log", () => {
    expect(checkpointDue({ headSequence: 0, last: null, now: t0, schedule })).toBe(false);
    expect(checkpointDue({ headSequence: 1, last: null, now: t0, schedule })).toBe(true);
  });

  it("waits for N events or T seconds, whichever comes first", () => {
    const last = { sequence: 100, signedAt: t0 };
    const soon = new Date(t0.getTime() + 10_000);
    expect(checkpointDue({ headSequence: 1_099, last, now: soon, schedule })).toBe(false);
    expect(checkpointDue({ headSequence: 1_100, last, now: soon, schedule })).toBe(true);
    expect(checkpointDue({ headSequence: 101, last, now: new Date(t0.getTime() + 60_000), schedule })).toBe(
      true,
    );
  });

  it("does nothing while the head has not moved, however long ago the last checkpoint was", () => {
    const last = { sequence: 100, signedAt: t0 };
    const muchLater = new Date(t0.getTime() + 86_400_000);
    expect(checkpointDue({ headSequence: 100, last, now: muchLater, schedule })).toBe(false);
    expect(checkpointDue({ headSequence: 100, last, now: muchLater, schedule, force: true })).toBe(false);
    expect(checkpointDue({ headSequence: 101, last, now: t0, schedule, force: true })).toBe(true);
  });
});

function keyPair(validFrom = "2026-01-01T00:00:00.000Z", validTo: string | null = null) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const published: AuditPublicKey = {
    keyId: keyIdOf(publicKey),
    algorithm: "ed25519",
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    validFrom,
    validTo,
  };
  return { privateKey, published };
}

/** A chain of n events and its hashes by sequence. */
function chain(n: number): Map<number, string> {
  const hashes = new Map<number, string>();
  let prev = genesisHash;
  for (let sequence = 1; sequence <= n; sequence++) {
    prev = chainHash(prev, sequence, `{"n":${sequence}}`);
    hashes.set(sequence, prev);
  }
  return hashes;
}

describe("checkpoint signatures", () => {
  const { privateKey, published } = keyPair();
  const keys = loadPublicKeys([published]).byId;
  const sign = (
    sequence: number,
    headHash: string,
    signedAt = "2026-11-27T10:00:00.000Z",
  ): SignedCheckpoint => {
    const body = { sequence, headHash, signedAt, keyId: published.keyId };
    return { ...body, signature: signBytes(privateKey, checkpointBytes(body)) };
  };

  it("accepts a signature by a published key within its validity", () => {
    expect(checkpointSignatureProblem(sign(5, "a".repeat(64)), keys)).toBeNull();
  });

  it("names a checkpoint whose content or signature was changed", () => {
    const good = sign(5, "a".repeat(64));
    expect(checkpointSignatureProblem({ ...good, headHash: "b".repeat(64) }, keys)).toMatch(
      /sequence 5 has an invalid signature/,
    );
    expect(checkpointSignatureProblem({ ...good, sequence: 6 }, keys)).toMatch(/invalid signature/);
    const other = sign(7, "c".repeat(64));
    expect(checkpointSignatureProblem({ ...good, signature: other.signature }, keys)).toMatch(
      /invalid signature/,
    );
  });

  it("refuses a signature made outside the key's validity, and an unknown key", () => {
    expect(checkpointSignatureProblem(sign(5, "a".repeat(64), "2025-06-01T00:00:00.000Z"), keys)).toMatch(
      /outside the validity/,
    );
    const stranger = keyPair();
    const body = {
      sequence: 5,
      headHash: "a".repeat(64),
      signedAt: t0.toISOString(),
      keyId: stranger.published.keyId,
    };
    expect(
      checkpointSignatureProblem(
        { ...body, signature: signBytes(stranger.privateKey, checkpointBytes(body)) },
        keys,
      ),
    ).toMatch(/unknown key/);
  });

  it("refuses a published key whose id is not its fingerprint", () => {
    const { problems } = loadPublicKeys([{ ...published, keyId: "ak_000000000000000000000000" }]);
    expect(problems[0]?.message).toMatch(/does not match its public key/);
  });

  describe("against the log", () => {
    const hashes = chain(30);
    const check = (
      sources: Parameters<typeof checkCheckpoints>[0]["sources"],
      headSequence = 30,
      stored = hashes,
    ) => checkCheckpoints({ sources, keys, headSequence, storedHashes: stored });
    const db = (checkpoints: SignedCheckpoint[]) => ({ name: databaseSource, checkpoints, unreadable: [] });

    it("passes when every copy agrees with the stored hashes", () => {
      const cps = [10, 20, 30].map((s) => sign(s, hashes.get(s)!));
      expect(check([db(cps), { name: "directory", checkpoints: cps, unreadable: [] }])).toEqual({
        checked: 3,
        failure: null,
      });
    });

    it("names the range of a consistently rewritten log from the first checkpoint that no longer matches", () => {
      const cps = [10, 20, 30].map((s) => sign(s, hashes.get(s)!));
      const rewritten = new Map(hashes);
      for (let s = 14; s <= 30; s++) rewritten.set(s, "f".repeat(64));
      const { failure } = check(
        [db([]), { name: "directory", checkpoints: cps, unreadable: [] }],
        30,
        rewritten,
      );
      expect(failure).toMatchObject({
        reason: "checkpoint_mismatch",
        checkpointSequence: 20,
        firstBadSequence: 11,
      });
      expect(failure?.message).toMatch(/^directory: .*between sequences 11 and 20 was rewritten/);
    });

    it("names a checkpoint deleted from the database but kept outside it", () => {
      const cps = [10, 20].map((s) => sign(s, hashes.get(s)!));
      const { failure } = check([db([cps[0]!]), { name: "jetstream", checkpoints: cps, unreadable: [] }]);
      expect(failure).toMatchObject({ reason: "checkpoint_missing", checkpointSequence: 20 });
    });

    it("names a checkpoint past the end of the log as removed events", () => {
      const cps = [10, 30].map((s) => sign(s, hashes.get(s)!));
      expect(check([db(cps)], 25).failure).toMatchObject({
        reason: "removed",
        firstBadSequence: 26,
        checkpointSequence: 30,
      });
    });

    it("names an unreadable copy", () => {
      expect(
        check([
          db([]),
          { name: "directory", checkpoints: [], unreadable: ["x.json is not a signed checkpoint"] },
        ]).failure,
      ).toMatchObject({
        reason: "checkpoint_unreadable",
      });
    });
  });
});

describe("decidePackPeriod", () => {
  const now = new Date("2026-11-27T12:00:00.000Z");
  it("accepts a period in the past, and one that runs into the future", () => {
    const from = new Date("2026-08-29T00:00:00.000Z");
    expect(decidePackPeriod({ from, to: new Date("2026-11-27T00:00:00.000Z"), now }).from).toEqual(from);
    expect(() => decidePackPeriod({ from, to: new Date("2027-01-01T00:00:00.000Z"), now })).not.toThrow();
  });

  it("refuses an inverted or empty period naming `to`, and a future start naming `from`", () => {
    const from = new Date("2026-11-01T00:00:00.000Z");
    expect(() => decidePackPeriod({ from, to: from, now })).toThrowError(
      expect.objectContaining({ details: { fields: { to: "must be after from" } } }),
    );
    expect(() => decidePackPeriod({ from, to: new Date("2026-10-01T00:00:00.000Z"), now })).toThrowError(
      /before it starts/,
    );
    expect(() =>
      decidePackPeriod({
        from: new Date("2026-12-01T00:00:00.000Z"),
        to: new Date("2026-12-02T00:00:00.000Z"),
        now,
      }),
    ).toThrowError(expect.objectContaining({ details: { fields: { from: "must not be in the future" } } }));
  });
});
