// Database URLs for tests: the server from DATABASE_URL (or the local default), any database name.
export function baseDatabaseUrl(database: string): string {
  const url = new URL(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/venture");
  url.pathname = `/${database}`;
  return url.toString();
}

export function adminUrl(): string {
  return baseDatabaseUrl("postgres");
}
