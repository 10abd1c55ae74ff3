// Test helpers for the compliance context (used by *.int.test.ts files and the role matrix only):
// seeding a sealed log, tampering with it as a superuser, and a ready evidence pack.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { grantMembership } from "@/server/contexts/identity/grant-membership";
import { registerUser } from "@/server/contexts/identity/register-user";
import { type Clock, fixedClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { chainHash } from "@/server/shared/events/chain";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, sealEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { type CheckpointCopies, directoryCopies } from "./checkpoint-copies";
import { buildNextEvidencePack, requestEvidencePack } from "./evidence-packs";
import { raiseFinding } from "./findings";
import { AuditKeyring } from "./keyring";
import { signCheckpointIfDue } from "./sign-checkpoint";
import { syncKeyring } from "./sync-keyring";
import { requestVerification } from "./verifications";

export const testActor: EventActor = { type: "system", id: "test" };

/** Appends `count` portfolio_created events in one portfolio (or each in its own), then seals them. */
export async function seedEvents(
  db: Db,
  options: { count: number; portfolioId?: string; clock?: Clock; batch?: number },
): Promise<void> {
  const batch = options.batch ?? 100;
  for (let done = 0; done < options.count; done += batch) {
    const n = Math.min(batch, options.count - done);
    await withTransaction(db, (tx) =>
      appendEvents(
        tx,
        { actor: testActor, correlationId: "cor_seed", clock: options.clock },
        Array.from({ length: n }, (_, i) => {
          const portfolioId = options.portfolioId ?? newId("portfolio");
          return {
            type: "orchestration.portfolio_created" as const,
            stream: { type: "seed", id: newId("portfolio") },
            expectedVersion: 0,
            portfolioId,
            payload: { portfolioId, name: `seed ${done + i + 1}` },
          };
        }),
      ),
    );
  }
  await sealAll(db);
}

export async function sealAll(db: Db): Promise<void> {
  while ((await sealEvents(db, 5_000)) > 0) {}
}

/** Runs SQL as the superuser with triggers disabled: what an attacker with database access can do. */
export async function asSuperuser(
  databaseUrl: string,
  work: (client: pg.Client) => Promise<void>,
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SET session_replication_role = replica");
    await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Rewrites the envelope of the event at `sequence` and recomputes the chain from there to the head,
 * as an attacker who knows the hash function would: the stored chain verifies again afterwards.
 */
export async function rewriteChainConsistently(
  databaseUrl: string,
  sequence: number,
  edit: (envelope: string) => string,
) {
  await asSuperuser(databaseUrl, async (client) => {
    const rows = (
      await client.query<{ sequence: string; id: string; envelope: string; prev_hash: string }>(
        `SELECT c.sequence, c.event_id AS id, e.envelope, c.prev_hash FROM event_chain c JOIN event_log e ON e.id = c.event_id
          WHERE c.sequence >= $1 ORDER BY c.sequence`,
        [sequence],
      )
    ).rows;
    let prev = rows[0]!.prev_hash;
    for (const [index, row] of rows.entries()) {
      const envelope = index === 0 ? edit(row.envelope) : row.envelope;
      if (index === 0)
        await client.query("UPDATE event_log SET envelope = $2 WHERE id = $1", [row.id, envelope]);
      const hash = chainHash(prev, Number(row.sequence), envelope);
      await client.query("UPDATE event_chain SET prev_hash = $2, hash = $3 WHERE sequence = $1", [
        row.sequence,
        prev,
        hash,
      ]);
      prev = hash;
    }
    await client.query("UPDATE chain_head SET hash = $1 WHERE id = 1", [prev]);
  });
}

export function temporaryDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `venture-${prefix}-`));
}

/**
 * What the role matrix needs to call every compliance procedure: a sealed event of the portfolio,
 * a queued verification, a ready evidence pack (of a quiet period long ago, so it holds no
 * other portfolio's events), two members whose personal data can be exported and erased, and an
 * open finding.
 */
export async function complianceMatrixFixture(
  db: Db,
  portfolioId: string,
): Promise<{
  eventSequence: number;
  verificationId: string;
  packId: string;
  subjectEmail: string;
  erasableSubjectId: string;
  findingId: string;
}> {
  const tag = Math.random().toString(36).slice(2, 8);
  const member = async (who: string) => {
    const email = `${who}-${tag}@example.test`;
    const { userId } = await registerUser({
      db,
      actor: testActor,
      correlationId: "cor_matrix",
      email,
      name: `Matrix ${who}`,
      password: null,
    });
    await grantMembership({
      db,
      actor: testActor,
      correlationId: "cor_matrix",
      userId,
      portfolioId,
      role: "founder",
    });
    return { email, userId };
  };
  const subject = await member("dsar-subject");
  const erasable = await member("erasable");
  const { findingId } = await withTransaction(db, (tx) =>
    raiseFinding(
      tx,
      { actor: testActor, correlationId: "cor_matrix" },
      {
        severity: "low",
        kind: "matrix",
        title: `Matrix finding ${tag}`,
        detail: "",
        portfolioId,
        dedupeKey: `matrix:${tag}`,
      },
    ),
  );
  await sealAll(db);
  const [event] = await db.$queryRawUnsafe<Array<{ sequence: bigint }>>(
    "SELECT min(sequence) AS sequence FROM events WHERE portfolio_id = $1",
    portfolioId,
  );
  const dir = temporaryDir("matrix");
  // The pack must outlive the fixture (the matrix downloads it), so the folder goes at exit.
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const keyring = AuditKeyring.open(path.join(dir, "keys"));
  await syncKeyring({ db, keyring });
  await sealAll(db);
  const copies: CheckpointCopies[] = [directoryCopies(path.join(dir, "checkpoints"))];
  await signCheckpointIfDue({ db, keyring, copies, schedule: { everyEvents: 1, everySeconds: 1 } });
  const verification = await requestVerification({ db, actor: testActor, portfolioId });
  const pack = await requestEvidencePack({
    db,
    actor: testActor,
    correlationId: "cor_matrix",
    portfolioId,
    from: new Date("2020-01-01T00:00:00.000Z"),
    to: new Date("2020-01-02T00:00:00.000Z"),
  });
  // Other queued packs (none in a fresh database) would be built first; build until ours is done.
  for (;;) {
    const built = await buildNextEvidencePack({ db, keyring, copies, packDir: path.join(dir, "packs") });
    if (!built || built.id === pack.id) break;
  }
  return {
    eventSequence: Number(event!.sequence),
    verificationId: verification.id,
    packId: pack.id,
    subjectEmail: subject.email,
    erasableSubjectId: erasable.userId,
    findingId,
  };
}

export { fixedClock };
