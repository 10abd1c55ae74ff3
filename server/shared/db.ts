// The database: one Prisma client over the pg driver adapter, and the one transaction helper.
import { PrismaPg } from "@prisma/adapter-pg";
import { type Prisma, PrismaClient } from "@/generated/prisma/client";
import { poolConfigFromUrl } from "./database-url";

export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;

export type DbOptions = { poolMax?: number; statementTimeoutMs?: number };

export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const adapter = new PrismaPg({
    ...poolConfigFromUrl(databaseUrl),
    max: options.poolMax ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    // A runaway statement must not hold the chain lock forever.
    statement_timeout: options.statementTimeoutMs ?? 30_000,
  });
  return new PrismaClient({ adapter });
}

/**
 * Runs fn in one READ COMMITTED transaction: a command's events, projections and outbox rows
 * commit together or not at all. Limits: 5 s to get a connection, 15 s for the whole transaction.
 */
export function withTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(fn, { maxWait: 5_000, timeout: 15_000 });
}
