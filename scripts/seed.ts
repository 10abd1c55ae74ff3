// Development seed: one portfolio and one user per role, with random passwords written to
// .data/dev-credentials.txt (printed by `npm run up`). Idempotent: an existing seed is kept.
// Refuses to run in production: production users are created with the CLI.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { grantMembership } from "@/server/contexts/identity/grant-membership";
import { registerUser } from "@/server/contexts/identity/register-user";
import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import { createDb } from "@/server/shared/db";
import { loadEnv } from "@/server/shared/env";
import { roles } from "@/server/shared/events/catalog";

const env = loadEnv();
if (env.NODE_ENV === "production") {
  console.error("seed: refusing to seed a production database");
  process.exit(1);
}
const credentialsPath = path.resolve(".data/dev-credentials.txt");
const db = createDb(env.DATABASE_URL);
const actor = { type: "system" as const, id: "seed" };
const correlationId = "cor_seed";

const existing = await db.user.count({ where: { email: { endsWith: "@venture.local" } } });
if (existing > 0 && fs.existsSync(credentialsPath)) {
  console.log(`seed: already seeded; sign-in details are in ${credentialsPath}`);
} else {
  const { portfolioId } =
    (await db.portfolio
      .findFirst({ where: { name: "Demo Portfolio" }, select: { id: true } })
      .then((p) => (p ? { portfolioId: p.id } : null))) ??
    (await createPortfolio({ db, actor, correlationId, name: "Demo Portfolio" }));
  const lines = ["Venture development sign-in (random passwords, this machine only):"];
  for (const role of roles) {
    const email = `${role.replace("_", "-")}@venture.local`;
    const password = randomBytes(9).toString("base64url");
    const found = await db.user.findUnique({ where: { email }, select: { id: true } });
    if (found) {
      console.log(
        `seed: ${email} exists without saved credentials; create an API token with the CLI instead`,
      );
      continue;
    }
    const { userId } = await registerUser({
      db,
      actor,
      correlationId,
      email,
      name: role.replace("_", " "),
      password,
    });
    await grantMembership({ db, actor, correlationId, userId, portfolioId, role });
    lines.push(`  ${role.padEnd(19)} ${email.padEnd(34)} ${password}`);
  }
  fs.mkdirSync(path.dirname(credentialsPath), { recursive: true });
  fs.writeFileSync(credentialsPath, `${lines.join("\n")}\n`, { mode: 0o600 });
  console.log(lines.join("\n"));
}
await db.$disconnect();
