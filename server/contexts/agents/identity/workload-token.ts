// Workload identity (AGENT-003): each task run gets a short-lived token, signed with EdDSA
// (Ed25519, jose), naming its venture, task, run, role, the tools it may call, its spend ceiling
// and its expiry. The tool gateway verifies it on every call.
//
// Keys: every issuing process makes its own Ed25519 key pair at start and keeps the private half
// in memory only; the public half is stored in agent_workload_keys with a not-after time, so any
// process (the agent runtime, the web's MCP endpoint) can verify. Nothing secret is ever stored,
// and a crashed process's key simply ages out.
import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { Db, Tx } from "@/server/shared/db";
import { newId } from "@/server/shared/ids";

export const workloadIssuer = "venture";
export const workloadAudience = "venture-tool-gateway";
/** How long an issuing key verifies tokens: longer than any token it signs. */
const keyLifetimeMs = 48 * 3_600_000;
/** Tokens live at most this long, whatever the task's timeout. */
export const maxTokenTtlMs = 3_600_000;

export const workloadClaimsSchema = z
  .object({
    venture: z.string().min(1),
    portfolio: z.string().min(1),
    task: z.string().min(1),
    run: z.string().min(1),
    role: z.string().min(1),
    level: z.enum(["L1", "L2", "L3"]),
    tools: z.array(z.string()).max(64),
    spendCeilingMinor: z.string().regex(/^\d{1,18}$/),
    currency: z.string().regex(/^[A-Z]{3}$/),
    issuedTo: z.enum(["runtime", "external"]),
  })
  .strict();

export type WorkloadClaims = z.infer<typeof workloadClaimsSchema> & { tokenId: string; expiresAt: Date };

export class WorkloadTokenError extends Error {
  override readonly name = "WorkloadTokenError";
  constructor(
    readonly kind: "malformed" | "unknown_key" | "signature" | "expired" | "claims",
    message: string,
  ) {
    super(message);
  }
}

/** A process's signing key: made on first use, public half registered in the database. */
export class WorkloadKeyring {
  private key: { kid: string; privateKey: CryptoKey; notAfter: Date } | null = null;
  private pending: Promise<{ kid: string; privateKey: CryptoKey; notAfter: Date }> | null = null;

  constructor(private readonly issuer: string) {}

  private async current(db: Db | Tx, now: Date) {
    // Rotate well before the key stops verifying, so no token outlives its key.
    if (this.key && this.key.notAfter.getTime() - now.getTime() > maxTokenTtlMs * 2) return this.key;
    this.pending ??= (async () => {
      const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      const kid = `wk_${randomBytes(12).toString("hex")}`;
      const jwk = await exportJWK(publicKey);
      const notAfter = new Date(now.getTime() + keyLifetimeMs);
      await db.$executeRawUnsafe(
        `INSERT INTO agent_workload_keys (kid, public_jwk, issuer, created_at, not_after) VALUES ($1, $2::jsonb, $3, $4, $5)`,
        kid,
        JSON.stringify({ ...jwk, kid, alg: "EdDSA", use: "sig" }),
        this.issuer,
        now,
        notAfter,
      );
      this.key = { kid, privateKey: privateKey as CryptoKey, notAfter };
      return this.key;
    })().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Signs a token for one run; returns it with its id and expiry (the caller records the issue). */
  async issue(
    db: Db | Tx,
    claims: z.infer<typeof workloadClaimsSchema>,
    options: { ttlMs: number; now: Date },
  ): Promise<{ token: string; tokenId: string; expiresAt: Date; keyId: string }> {
    const key = await this.current(db, options.now);
    const ttlMs = Math.min(Math.max(options.ttlMs, 1_000), maxTokenTtlMs);
    const tokenId = newId("workloadToken");
    const issuedAt = Math.floor(options.now.getTime() / 1000);
    const expiresAt = new Date((issuedAt + Math.ceil(ttlMs / 1000)) * 1000);
    const token = await new SignJWT({ ...claims } as JWTPayload)
      .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "JWT" })
      .setIssuer(workloadIssuer)
      .setAudience(workloadAudience)
      .setSubject(claims.run)
      .setJti(tokenId)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt - 5)
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key.privateKey);
    return { token, tokenId, expiresAt, keyId: key.kid };
  }
}

const keyCache = new Map<string, { key: CryptoKey | Uint8Array; notAfter: Date }>();

async function publicKey(db: Db | Tx, kid: string, now: Date): Promise<CryptoKey | Uint8Array> {
  let cached = keyCache.get(kid);
  if (!cached) {
    const rows = await db.$queryRawUnsafe<Array<{ public_jwk: JWK; not_after: Date }>>(
      "SELECT public_jwk, not_after FROM agent_workload_keys WHERE kid = $1",
      kid,
    );
    const row = rows[0];
    if (!row) throw new WorkloadTokenError("unknown_key", `The token's signing key ${kid} is not known here`);
    cached = { key: await importJWK(row.public_jwk, "EdDSA"), notAfter: row.not_after };
    if (keyCache.size > 1_000) keyCache.clear();
    keyCache.set(kid, cached);
  }
  if (cached.notAfter.getTime() <= now.getTime()) {
    throw new WorkloadTokenError("expired", `The token's signing key ${kid} no longer verifies tokens`);
  }
  return cached.key;
}

/**
 * Verifies a workload token: a known, current key; a valid EdDSA signature; our issuer and
 * audience; not expired; claims of the right shape. Any failure is a WorkloadTokenError, and the
 * gateway refuses the call (default deny).
 */
export async function verifyWorkloadToken(db: Db | Tx, token: string, now: Date): Promise<WorkloadClaims> {
  if (typeof token !== "string" || token.split(".").length !== 3 || token.length > 8_192) {
    throw new WorkloadTokenError("malformed", "The workload token is not a compact JWT");
  }
  let kid: string;
  try {
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")) as {
      kid?: unknown;
      alg?: unknown;
    };
    if (header.alg !== "EdDSA" || typeof header.kid !== "string") throw new Error("bad header");
    kid = header.kid;
  } catch {
    throw new WorkloadTokenError(
      "malformed",
      "The workload token's header is not an EdDSA header with a key id",
    );
  }
  const key = await publicKey(db, kid, now);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      issuer: workloadIssuer,
      audience: workloadAudience,
      algorithms: ["EdDSA"],
      currentDate: now,
      clockTolerance: 0,
    }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_JWT_EXPIRED") throw new WorkloadTokenError("expired", "The workload token has expired");
    if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") {
      throw new WorkloadTokenError("signature", "The workload token's signature does not verify");
    }
    throw new WorkloadTokenError("claims", `The workload token was refused: ${(error as Error).message}`);
  }
  const { iss: _iss, aud: _aud, sub, jti, iat: _iat, nbf: _nbf, exp, ...rest } = payload;
  const claims = workloadClaimsSchema.safeParse(rest);
  if (!claims.success || typeof jti !== "string" || typeof exp !== "number" || sub !== claims.data.run) {
    throw new WorkloadTokenError("claims", "The workload token's claims are not a workload grant");
  }
  return { ...claims.data, tokenId: jti, expiresAt: new Date(exp * 1000) };
}
