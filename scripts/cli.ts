// `npx venture <command>`: operator commands that talk to the database directly.
//   token create --email <email> [--name <name>] [--ttl-days <n>]   prints a new API token once
import { parseArgs } from "node:util";
import { createApiToken } from "@/server/contexts/identity/api-tokens";
import { createDb } from "@/server/shared/db";
import { loadEnv } from "@/server/shared/env";
import { isAppError } from "@/server/shared/errors";

const usage = `usage:
  venture token create --email <email> [--name <name>] [--ttl-days <days>]`;

async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === "token" && command === "create") {
    const { values } = parseArgs({
      args: rest,
      options: { email: { type: "string" }, name: { type: "string" }, "ttl-days": { type: "string" } },
      strict: true,
    });
    if (!values.email) {
      console.error("venture token create: --email is required");
      return 2;
    }
    const ttl = values["ttl-days"] === undefined ? 90 : Number(values["ttl-days"]);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 3650) {
      console.error("venture token create: --ttl-days must be a whole number of days from 1 to 3650");
      return 2;
    }
    const env = loadEnv();
    const db = createDb(env.DATABASE_URL);
    try {
      const created = await createApiToken({
        db,
        actor: { type: "system", id: "cli" },
        correlationId: "cor_cli",
        email: values.email,
        name: values.name ?? "cli",
        ttlDays: ttl,
      });
      console.log(created.token);
      console.error(
        `token ${created.tokenId} for ${values.email}, expires ${created.expiresAt?.toISOString()}`,
      );
      return 0;
    } catch (error) {
      if (isAppError(error)) {
        console.error(`venture token create: ${error.message}`);
        return 1;
      }
      throw error;
    } finally {
      await db.$disconnect();
    }
  }
  console.error(usage);
  return 2;
}

process.exit(await main(process.argv.slice(2)));
