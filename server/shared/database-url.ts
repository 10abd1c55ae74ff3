// Turns DATABASE_URL into discrete pg settings. Discrete fields (not connectionString) matter for
// the Prisma CLI, whose shadow database otherwise resolves to the real one (ADR 0002).
import type pg from "pg";

export function poolConfigFromUrl(databaseUrl: string): pg.PoolConfig {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname || "127.0.0.1",
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || "postgres"),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, "")) || "venture",
  };
}
