// The database: one Prisma client over the pg driver adapter, and the one transaction helper.
//
// Why transactions are ours and not Prisma's: Prisma 6's client engine compiles every query in
// WASM (~0.7 ms of CPU each here, raw queries included) and its interactive transactions add
// ~0.8 ms more, against ~0.1 ms for a query through `pg`. Command paths (event append, ledger,
// outbox, inbox) must sustain thousands of transactions a second on two cores, so:
// - `withTransaction` runs BEGIN … COMMIT itself on a pooled pg connection and records that
//   connection in an AsyncLocalStorage context;
// - the Prisma client's pool is a RoutingPool that sends every query made inside that context to
//   the transaction's connection, so model calls (`tx.venture.create`) join the transaction;
// - `$queryRawUnsafe` / `$executeRawUnsafe` skip Prisma's compiler and go straight to pg (the
//   transaction's connection, or the pool), returning Prisma's raw types (int8 → bigint,
//   numeric → Decimal, timestamptz → Date, json parsed);
// - if Prisma itself opens a transaction inside ours (some nested writes do), its BEGIN/COMMIT/
//   ROLLBACK become a savepoint, so it can never commit ours early.
// See docs/decisions/0002-prisma-offline.md.
import { AsyncLocalStorage } from "node:async_hooks";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { Prisma, PrismaClient } from "@/generated/prisma/client";
import { poolConfigFromUrl } from "./database-url";

export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;

export type DbOptions = { poolMax?: number; statementTimeoutMs?: number };

type TxContext = { connection: pg.PoolClient; savepoints: number };
const transactions = new AsyncLocalStorage<TxContext>();

const int8Oid = 20;
const int8ArrayOid = 1016;
const numericOid = 1700;
const textArrayOid = 1009;

/** Prisma's raw result types, for queries sent through pg directly. */
const prismaRawTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === int8Oid) return (value: string) => BigInt(value);
    if (oid === numericOid) return (value: string) => new Prisma.Decimal(value);
    if (oid === int8ArrayOid) {
      const parseArray = (pg.types.getTypeParser as (oid: number) => (value: string) => Array<string | null>)(
        textArrayOid,
      );
      return (value: string) => parseArray(value).map((item) => (item === null ? null : BigInt(item)));
    }
    return pg.types.getTypeParser(oid, format as "text");
  },
};

/** pg does not serialize bigint or Decimal parameters; Prisma callers pass both. */
function toPgValue(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Prisma.Decimal) return value.toString();
  if (Array.isArray(value)) return value.map(toPgValue);
  return value;
}

const transactionControl = /^\s*(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|SET TRANSACTION)\b/i;

/** A connection Prisma may "begin" on inside our transaction: its control statements become a savepoint. */
function nestedConnection(context: TxContext): pg.PoolClient {
  let savepoint: string | null = null;
  const run = (text: string) => context.connection.query(text);
  return new Proxy(context.connection, {
    get(target, property, receiver) {
      if (property === "release") return () => {};
      if (property === "on" || property === "removeListener") return () => receiver;
      if (property === "query") {
        return (config: string | pg.QueryConfig, values?: unknown[]) => {
          const text = typeof config === "string" ? config : config.text;
          const control = transactionControl.exec(text)?.[1]?.toUpperCase();
          if (!control) return target.query(config as pg.QueryConfig, values);
          if (control === "BEGIN" || control === "START TRANSACTION") {
            context.savepoints += 1;
            savepoint = `prisma_${context.savepoints}`;
            return run(`SAVEPOINT ${savepoint}`);
          }
          if (control === "SET TRANSACTION") return Promise.resolve({ rows: [], rowCount: 0 });
          if (!savepoint) return Promise.resolve({ rows: [], rowCount: 0 });
          const name = savepoint;
          savepoint = null;
          return run(control === "ROLLBACK" ? `ROLLBACK TO SAVEPOINT ${name}` : `RELEASE SAVEPOINT ${name}`);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

/** The pool Prisma uses: inside withTransaction every query goes to the transaction's connection. */
class RoutingPool extends pg.Pool {
  override query(...args: unknown[]): never {
    const context = transactions.getStore();
    if (context)
      return (context.connection.query as (...a: unknown[]) => unknown).apply(
        context.connection,
        args,
      ) as never;
    return (super.query as (...a: unknown[]) => unknown).apply(this, args) as never;
  }

  override connect(...args: unknown[]): never {
    const context = transactions.getStore();
    if (context && args.length === 0) return Promise.resolve(nestedConnection(context)) as never;
    return (super.connect as (...a: unknown[]) => unknown).apply(this, args) as never;
  }

  async direct<T>(sql: string, values: unknown[]): Promise<pg.QueryResult & { rows: T[] }> {
    const config = {
      name: statementName(sql, values),
      text: sql,
      values: values.map(toPgValue),
      types: prismaRawTypes,
    };
    const context = transactions.getStore();
    const result = context ? await context.connection.query(config) : await super.query(config);
    return result as pg.QueryResult & { rows: T[] };
  }

  /** A connection of the pool itself, never the routed one. */
  acquire(): Promise<pg.PoolClient> {
    return super.connect();
  }
}

/**
 * Parameterised statements are prepared once per connection (pg keeps the name → statement map per
 * connection): the server skips parsing and planning on every later call, which is a third of a
 * small transaction's cost. Only statements with parameters (the extended protocol, so exactly one
 * statement), and at most `maxPreparedStatements` distinct texts, so generated SQL cannot grow
 * every connection's cache without bound.
 */
const maxPreparedStatements = 1_000;
const statementNames = new Map<string, string>();

function statementName(sql: string, values: unknown[]): string | undefined {
  if (values.length === 0) return undefined;
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < maxPreparedStatements) {
    name = `venture_${statementNames.size.toString(36)}`;
    statementNames.set(sql, name);
  }
  return name;
}

const pools = new WeakMap<object, RoutingPool>();

export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const pool = new RoutingPool({
    ...poolConfigFromUrl(databaseUrl),
    max: options.poolMax ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    // A runaway statement must not hold locks forever.
    statement_timeout: options.statementTimeoutMs ?? 30_000,
  });
  // An idle connection that the server ends (a restart, a dropped test database) is removed from
  // the pool and reported here; the next query opens a new one. Without a listener it would crash
  // the process.
  pool.on("error", () => {});
  // pg-pool takes its error listener off a client while the client is checked out, and whoever
  // checked it out may add one of its own a microtask later, or never (withTransaction does not).
  // When the server ends a session (a restart, pg_terminate_backend) while nobody listens — between
  // two statements of a transaction, or in the same network read as the result just before — the
  // client emits 'error' unheard and the whole process crashes. So every client keeps a listener
  // for its whole life. Nothing is hidden: the statement in flight, or the next one, fails with
  // the error, and the pool discards a client that is no longer queryable when it is released.
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  const db = new Proxy(client, {
    get(target, property, receiver) {
      if (property === "$queryRawUnsafe") {
        return async <T>(sql: string, ...values: unknown[]) => (await pool.direct<T>(sql, values)).rows;
      }
      if (property === "$executeRawUnsafe") {
        return async (sql: string, ...values: unknown[]) => (await pool.direct(sql, values)).rowCount ?? 0;
      }
      if (property === "$transaction") {
        return () => {
          throw new Error("Use withTransaction(db, fn) from server/shared/db: the one transaction helper");
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  pools.set(db, pool);
  return db;
}

/**
 * Runs fn in one READ COMMITTED transaction: a command's events, projections and outbox rows
 * commit together or not at all. Everything fn does through `tx` — or through the Db, since the
 * transaction is the async context's — runs on the transaction's connection. Limits: 5 s to get a
 * connection, and the pool's statement timeout per statement.
 */
export async function withTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const pool = pools.get(db);
  if (!pool) throw new Error("withTransaction needs a Db made by createDb");
  const outer = transactions.getStore();
  if (outer) {
    // Nested: a savepoint inside the enclosing transaction, so the inner work is all or nothing.
    outer.savepoints += 1;
    const name = `nested_${outer.savepoints}`;
    await outer.connection.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn(db as unknown as Tx);
      await outer.connection.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await outer.connection.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }
  const connection = await pool.acquire();
  let broken = false;
  try {
    await connection.query("BEGIN");
    const result = await transactions.run({ connection, savepoints: 0 }, () => fn(db as unknown as Tx));
    await connection.query("COMMIT");
    return result;
  } catch (error) {
    try {
      await connection.query("ROLLBACK");
    } catch {
      broken = true;
    }
    throw error;
  } finally {
    // A connection whose ROLLBACK failed is discarded rather than returned in an unknown state.
    connection.release(broken);
  }
}
