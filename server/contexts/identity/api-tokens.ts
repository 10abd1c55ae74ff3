// API tokens for scripts and external agents: "vt_" + 32 random bytes, shown once; only the
// SHA-256 of the secret is stored, so a leaked database does not leak usable tokens.
import { createHash, randomBytes } from "node:crypto";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { loadPrincipal, type Principal } from "./principal";

const tokenPattern = /^vt_[A-Za-z0-9_-]{43}$/;

function hashSecret(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createApiToken(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  email: string;
  name: string;
  ttlDays: number | null;
  now?: Date;
}): Promise<{ tokenId: string; token: string; expiresAt: Date | null }> {
  const now = options.now ?? new Date();
  const token = `vt_${randomBytes(32).toString("base64url")}`;
  const tokenId = newId("apiToken");
  const expiresAt = options.ttlDays === null ? null : new Date(now.getTime() + options.ttlDays * 86_400_000);
  await withTransaction(options.db, async (tx) => {
    const user = await tx.user.findUnique({
      where: { email: options.email.trim().toLowerCase() },
      select: { id: true },
    });
    if (!user)
      throw new AppError("NOT_FOUND", `No user with email ${options.email}`, {
        fields: { email: "unknown" },
      });
    await appendEvents(tx, options, [
      {
        type: "identity.api_token_created",
        stream: { type: "api_token", id: tokenId },
        expectedVersion: 0,
        portfolioId: null,
        payload: {
          tokenId,
          userId: user.id,
          name: options.name,
          expiresAt: expiresAt?.toISOString() ?? null,
        },
      },
    ]);
    await tx.apiToken.create({
      data: {
        id: tokenId,
        userId: user.id,
        name: options.name,
        secretHash: hashSecret(token),
        createdAt: now,
        expiresAt,
      },
    });
  });
  return { tokenId, token, expiresAt };
}

/** The principal an API token acts as, or null for a malformed, unknown, revoked or expired token. */
export async function authenticateApiToken(options: {
  db: Db;
  token: string;
  now?: Date;
}): Promise<Principal | null> {
  if (!tokenPattern.test(options.token)) return null;
  const row = await options.db.apiToken.findUnique({
    where: { secretHash: hashSecret(options.token) },
    select: { id: true, userId: true, expiresAt: true, revokedAt: true },
  });
  const now = options.now ?? new Date();
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  return loadPrincipal(options.db, row.userId, { kind: "api_token", tokenId: row.id });
}
