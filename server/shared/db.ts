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
import { AppError, retryAfterSeconds } from "./errors";

export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;

export type DbOptions = {
  poolMax?: number;
  statementTimeoutMs?: number;
  /** How long a caller waits for a free connection before UNAVAILABLE (default 5 s). */
  connectionTimeoutMs?: number;
  /** Callers allowed to wait for a connection at once; one more is refused at once (default 16 × poolMax). */
  maxWaiting?: number;
};

/**
 * A transaction of withTransaction: its connection, whether BEGIN has gone out yet, how deep the
 * nested (savepoint) calls are, and whether the next statement is to carry the COMMIT (see
 * commitWithNextStatement) or already did.
 */
type TxContext = {
  connection: pg.PoolClient;
  savepoints: number;
  begun: boolean;
  depth: number;
  commitNext: boolean;
  committed: boolean;
};

/**
 * The transaction context and the Db → pool map are process-wide, not per copy of this module:
 * `next dev` can load this file more than once (one copy per bundle layer) while the Db lives on
 * globalThis (server/runtime.ts), and a transaction begun by one copy must route the queries that
 * another copy's pool receives, or they would silently run outside it.
 */
type SharedDbState = { transactions: AsyncLocalStorage<TxContext>; pools: WeakMap<object, RoutingPool> };
const sharedKey = Symbol.for("venture.db");
const processGlobals = globalThis as unknown as Record<symbol, SharedDbState | undefined>;
const shared: SharedDbState = processGlobals[sharedKey] ?? {
  transactions: new AsyncLocalStorage<TxContext>(),
  pools: new WeakMap<object, RoutingPool>(),
};
processGlobals[sharedKey] = shared;
const transactions = shared.transactions;

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

/**
 * A statement that carries the transaction's BEGIN in front of it, in the same write and under the
 * same Sync (extended protocol: Parse/Bind/Execute "BEGIN", then the statement's own messages).
 * BEGIN cannot fail in a fresh session, so the pair answers like the statement alone, one round
 * trip sooner: on this VM a round trip costs more CPU in the socket write and wake-up than a small
 * statement does to run (docs/decisions/0005).
 */
class BeginThenQuery extends pg.Query {
  prepare(connection: unknown): void {
    const wire = connection as {
      parse(query: { text: string; name: string; types: unknown[] }): void;
      bind(config: { portal: string; statement: string; values: unknown[] }): void;
      execute(config: { portal: string }): void;
    };
    wire.parse({ text: "BEGIN", name: "", types: [] });
    wire.bind({ portal: "", statement: "", values: [] });
    wire.execute({ portal: "" });
    (pg.Query.prototype as unknown as { prepare(c: unknown): void }).prepare.call(this, connection);
  }
}

/**
 * A statement that carries the transaction's COMMIT behind it, in the same write and under the
 * same Sync: the transaction's last round trip is the statement's own. If the statement fails,
 * the server skips the COMMIT (it discards messages up to the Sync) and the transaction is rolled
 * back as usual; if the COMMIT fails (a deferred constraint), the pair fails with its error.
 */
class QueryThenCommit extends pg.Query {
  _getRows(connection: unknown, rows?: number): void {
    const wire = connection as {
      parse(query: { text: string; name: string; types: unknown[] }): void;
      bind(config: { portal: string; statement: string; values: unknown[] }): void;
      execute(config: { portal: string; rows?: number }): void;
      sync(): void;
    };
    wire.execute({ portal: (this as unknown as { portal: string }).portal, rows });
    wire.parse({ text: "COMMIT", name: "", types: [] });
    wire.bind({ portal: "", statement: "", values: [] });
    wire.execute({ portal: "" });
    wire.sync();
  }
}

type QueryResults = pg.QueryResult | pg.QueryResult[];

/**
 * Marks the transaction this runs in so that its next statement carries the COMMIT (one round trip
 * fewer), for a command whose last statement is known: nothing may be sent after it, and once it
 * succeeds the command's work is committed whatever the function does next. Inside a
 * nested withTransaction, or where the statement cannot carry it (the first statement, or one
 * without parameters), it does nothing and withTransaction commits as usual.
 */
export function commitWithNextStatement(): void {
  const context = transactions.getStore();
  if (context && context.depth === 0) context.commitNext = true;
}

type TxConnection = { query(config: unknown, values?: unknown): Promise<QueryResults> };

/** Sends a statement paired with BEGIN or COMMIT in one write; answers with the statement's own result. */
function sendPaired(
  connection: TxConnection,
  paired: typeof BeginThenQuery | typeof QueryThenCommit,
  query: pg.QueryConfig,
  own: (results: pg.QueryResult[]) => QueryResults,
): Promise<QueryResults> {
  return new Promise((resolve, reject) => {
    void connection.query(
      new paired(query, undefined, (error: Error | undefined, results: unknown) =>
        error ? reject(error) : resolve(own(results as pg.QueryResult[])),
      ),
    );
  });
}

/**
 * Sends a statement of the transaction on its connection. The first statement takes the BEGIN
 * with it when it goes by the extended protocol (it has parameters); one without parameters goes
 * by the simple protocol, which cannot, so BEGIN is sent on its own first. The statement right
 * after commitWithNextStatement takes the COMMIT with it the same way, when it can.
 */
function txQuery(
  context: TxContext,
  config: string | pg.QueryConfig,
  values?: unknown[],
): Promise<QueryResults> {
  const connection = context.connection as unknown as TxConnection;
  if (context.committed) {
    return Promise.reject(new Error("A statement was sent after its transaction committed"));
  }
  const commit = context.commitNext;
  context.commitNext = false;
  if (context.begun && !commit) return connection.query(config, values);
  const query =
    typeof config === "string" ? { text: config, values } : { ...config, values: values ?? config.values };
  const extended = query.values !== undefined && query.values.length > 0;
  if (context.begun) {
    if (!extended || context.depth > 0) return connection.query(config, values);
    return sendPaired(connection, QueryThenCommit, query, ([own]) => own!).then((result) => {
      context.committed = true;
      return result;
    });
  }
  context.begun = true;
  if (!extended) return connection.query("BEGIN").then(() => connection.query(config, values));
  // The BEGIN's result comes first; the caller gets what the statement alone would give.
  return sendPaired(connection, BeginThenQuery, query, (results) => {
    const rest = results.slice(1);
    return rest.length === 1 ? rest[0]! : rest;
  });
}

const transactionControl = /^\s*(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|SET TRANSACTION)\b/i;

/** A connection Prisma may "begin" on inside our transaction: its control statements become a savepoint. */
function nestedConnection(context: TxContext): pg.PoolClient {
  let savepoint: string | null = null;
  const run = (text: string) => txQuery(context, text);
  return new Proxy(context.connection, {
    get(target, property, receiver) {
      if (property === "release") return () => {};
      if (property === "on" || property === "removeListener") return () => receiver;
      if (property === "query") {
        return (config: string | pg.QueryConfig, values?: unknown[]) => {
          const text = typeof config === "string" ? config : config.text;
          const control = transactionControl.exec(text)?.[1]?.toUpperCase();
          if (!control) return txQuery(context, config, values);
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
  constructor(
    config: pg.PoolConfig,
    private readonly maxWaiting: number,
  ) {
    super(config);
  }

  override query(...args: unknown[]): never {
    const context = transactions.getStore();
    if (context) {
      const [config, values, callback] = args as [pg.QueryConfig, unknown, unknown];
      const done = [values, callback].find((a) => typeof a === "function") as
        | ((error: Error | null, result?: QueryResults) => void)
        | undefined;
      const sent = txQuery(context, config, Array.isArray(values) ? values : undefined);
      if (!done) return sent as never;
      sent.then((result) => done(null, result), done);
      return undefined as never;
    }
    return (super.query as (...a: unknown[]) => unknown).apply(this, args) as never;
  }

  override connect(...args: unknown[]): never {
    const context = transactions.getStore();
    if (context && args.length === 0) return Promise.resolve(nestedConnection(context)) as never;
    return this.checkout(args) as never;
  }

  /** A connection of the pool itself, never the routed one. */
  acquire(): Promise<pg.PoolClient> {
    return this.checkout([]) as Promise<pg.PoolClient>;
  }

  /**
   * Admission control: a caller beyond `maxWaiting` in the queue is refused at once, and one that
   * waited out the connection timeout is refused too, both as UNAVAILABLE (HTTP 503 with
   * Retry-After): under overload, callers learn it in a moment instead of piling up, and the ones
   * admitted keep their latency. pg-pool's own query() checks out through here as well.
   */
  private checkout(args: unknown[]): unknown {
    const callback = typeof args[0] === "function" ? (args[0] as PoolCallback) : undefined;
    const mustWait = this.idleCount === 0 && this.totalCount >= (this.options.max ?? 10);
    if (mustWait && this.waitingCount >= this.maxWaiting) {
      const refusal = new AppError(
        "UNAVAILABLE",
        `The system is overloaded: ${this.waitingCount} requests already wait for a database connection; retry shortly`,
        { retryAfterSeconds },
      );
      if (!callback) return Promise.reject(refusal);
      process.nextTick(() => callback(refusal));
      return undefined;
    }
    const connect = super.connect as (...a: unknown[]) => unknown;
    if (callback) {
      return connect.call(this, (error: Error | undefined, client?: unknown, release?: unknown) =>
        callback(error ? connectionRefusal(error) : error, client, release),
      );
    }
    return (connect.call(this) as Promise<pg.PoolClient>).catch((error: Error) => {
      throw connectionRefusal(error);
    });
  }

  // Not async, nor the proxy's raw methods below: every query goes through here, and each async
  // layer costs promises (and their AsyncLocalStorage hooks) on every statement.
  direct<T>(sql: string, values: unknown[]): Promise<pg.QueryResult & { rows: T[] }> {
    let config: pg.QueryConfig;
    try {
      config = {
        name: statementName(sql, values),
        text: sql,
        values: values.map(toPgValue),
        types: prismaRawTypes,
      };
    } catch (error) {
      return Promise.reject(error);
    }
    const context = transactions.getStore();
    return (context ? txQuery(context, config) : super.query(config)) as Promise<
      pg.QueryResult & { rows: T[] }
    >;
  }
}

/**
 * The AppError behind an error, if any: the error itself, or the admission refusal (UNAVAILABLE)
 * when a Prisma model call wrapped it (Prisma keeps the code and drops the rest).
 */
export function appErrorOf(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "UNAVAILABLE") {
    return new AppError(
      "UNAVAILABLE",
      "The system is overloaded: no database connection was free for this request; retry shortly",
      { retryAfterSeconds },
    );
  }
  return null;
}

type PoolCallback = (error: Error | undefined, client?: unknown, release?: unknown) => void;

/** pg-pool's bare "timeout exceeded when trying to connect" as what it means to a caller. */
function connectionRefusal(error: Error): Error {
  if (!/timeout exceeded when trying to connect/.test(error.message)) return error;
  return new AppError(
    "UNAVAILABLE",
    "The system is overloaded: no database connection became free in time; retry shortly",
    { retryAfterSeconds },
  );
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

const pools = shared.pools;

export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const poolMax = options.poolMax ?? 10;
  const pool = new RoutingPool(
    {
      ...poolConfigFromUrl(databaseUrl),
      max: poolMax,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
      // A runaway statement must not hold locks forever.
      statement_timeout: options.statementTimeoutMs ?? 30_000,
    },
    options.maxWaiting ?? 16 * poolMax,
  );
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
        return <T>(sql: string, ...values: unknown[]) =>
          pool.direct<T>(sql, values).then((result) => result.rows);
      }
      if (property === "$executeRawUnsafe") {
        return (sql: string, ...values: unknown[]) =>
          pool.direct(sql, values).then((result) => result.rowCount ?? 0);
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

/** Whether this async context runs inside withTransaction, so its statements join that transaction. */
export function inTransaction(): boolean {
  return transactions.getStore() !== undefined;
}

/**
 * Runs fn in one READ COMMITTED transaction: a command's events, projections and outbox rows
 * commit together or not at all. Everything fn does through `tx` — or through the Db, since the
 * transaction is the async context's — runs on the transaction's connection. Limits: the pool's
 * statement timeout per statement, and admission (RoutingPool.checkout): 5 s to get a connection,
 * behind at most 16 × poolMax waiting callers, else UNAVAILABLE.
 */
export async function withTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const pool = pools.get(db);
  if (!pool) throw new Error("withTransaction needs a Db made by createDb");
  const outer = transactions.getStore();
  if (outer) {
    // Nested: a savepoint inside the enclosing transaction, so the inner work is all or nothing.
    outer.savepoints += 1;
    const name = `nested_${outer.savepoints}`;
    await txQuery(outer, `SAVEPOINT ${name}`);
    outer.depth += 1;
    try {
      const result = await fn(db as unknown as Tx);
      outer.depth -= 1;
      await txQuery(outer, `RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      outer.depth -= 1;
      await txQuery(outer, `ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }
  const connection = await pool.acquire();
  // BEGIN goes out with the first statement (txQuery); a transaction that sent none has nothing to
  // commit or roll back.
  const context: TxContext = {
    connection,
    savepoints: 0,
    begun: false,
    depth: 0,
    commitNext: false,
    committed: false,
  };
  let broken = false;
  try {
    const result = await transactions.run(context, () => fn(db as unknown as Tx));
    // Committed already when the last statement carried the COMMIT (commitWithNextStatement).
    if (context.begun && !context.committed) await connection.query("COMMIT");
    return result;
  } catch (error) {
    try {
      if (context.begun && !context.committed) await connection.query("ROLLBACK");
    } catch {
      broken = true;
    }
    throw error;
  } finally {
    // A connection whose ROLLBACK failed is discarded rather than returned in an unknown state.
    connection.release(broken);
  }
}
