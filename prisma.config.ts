// Prisma CLI configuration. The CLI runs its schema engine as JS/WASM through the pg driver
// adapter, so nothing is downloaded at install or run time (ADR 0002 records the snags cured here).
import fs from "node:fs";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

// Snag 1: with a config file Prisma does not load .env itself.
if (fs.existsSync(".env")) process.loadEnvFile(".env");
// The schema reads env("DATABASE_URL"); an unresolved variable makes the CLI try to download a
// query engine, so the development default is set here too.
process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/venture";

// Snag 4: the WASM engine leaves long timers armed, so the CLI lingers after finishing.
// Unref timers of 5 s or more, in the CLI's process only.
const originalSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const timer = originalSetTimeout(handler, ms, ...args);
  if ((ms ?? 0) >= 5000) timer.unref();
  return timer;
}) as typeof setTimeout;

// Snag 2: introspection reads catalog columns of types "char" (18) and name (19) that the
// adapter cannot map; relabel them as text (25).
function relabelCatalogTypes(res: pg.QueryResult | undefined): void {
  for (const field of res?.fields ?? []) {
    if (field.dataTypeID === 18 || field.dataTypeID === 19) field.dataTypeID = 25;
  }
}

class CatalogSafeClient extends pg.Client {
  // pg calls query() both promise-style and, from Pool.query, callback-style.
  override query(...args: unknown[]): never {
    const last = args.at(-1);
    if (typeof last === "function") {
      const callback = last as (err: Error | null, res?: pg.QueryResult) => void;
      args[args.length - 1] = (err: Error | null, res?: pg.QueryResult) => {
        relabelCatalogTypes(res);
        callback(err, res);
      };
      return (super.query as (...a: unknown[]) => never)(...args);
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result instanceof Promise) {
      return result.then((res: pg.QueryResult) => {
        relabelCatalogTypes(res);
        return res;
      }) as never;
    }
    return result as never;
  }
}

// Snag 5 (not in ENVIRONMENT.md): adapter-pg's executeScript splits a migration on every ";",
// which breaks dollar-quoted function bodies. Send the script whole instead: PostgreSQL's simple
// query protocol runs several statements in one implicit transaction, so a migration stays atomic.
type PgAdapter = Awaited<ReturnType<PrismaPg["connect"]>>;
function wholeScripts(adapter: PgAdapter): PgAdapter {
  adapter.executeScript = async (script: string) => {
    try {
      await adapter.underlyingDriver().query(script);
    } catch (error) {
      // The engine reports a foreign error only as "External error id#0"; say what failed.
      const pgError = error as { message?: string; position?: string; where?: string };
      console.error(
        `migration script failed: ${pgError.message}${pgError.position ? ` at character ${pgError.position}` : ""}`,
      );
      throw error;
    }
  };
  return adapter;
}

class ScriptSafePrismaPg extends PrismaPg {
  override async connect(): Promise<PgAdapter> {
    return wholeScripts(await super.connect());
  }
  override async connectToShadowDb(): Promise<PgAdapter> {
    return wholeScripts(await super.connectToShadowDb());
  }
}

function poolConfig(): pg.PoolConfig {
  const raw = process.env.DATABASE_URL as string;
  const url = new URL(raw);
  // Snag 3: discrete fields, not connectionString, so the shadow database resolves correctly.
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || "postgres"),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, "") || "venture",
    idleTimeoutMillis: 500,
    Client: CatalogSafeClient,
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    return new ScriptSafePrismaPg(poolConfig());
  },
});
