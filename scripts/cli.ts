// `npx venture <command>`: operator commands that talk to the database directly.
//   token create --email <email> [--name <name>] [--ttl-days <n>]   prints a new API token once
//   pause  --reason <text> --email <email> [--wait-ms <ms>]            pauses everything (kill-switch)
//   resume --reason <text> --email <email>                             resumes after a pause
//   verify <pack.tar.gz> [--key <keyId>]                               checks an evidence pack offline
import { parseArgs } from "node:util";

/**
 * The database-backed modules, loaded only by the commands that use them: `venture verify` runs
 * offline with no database and no environment, so it must not import them.
 */
async function operatorModules() {
  const [control, apiTokens, principal, roles, db, env, errors] = await Promise.all([
    import("@/server/contexts/control/api"),
    import("@/server/contexts/identity/api-tokens"),
    import("@/server/contexts/identity/principal"),
    import("@/server/contexts/identity/roles"),
    import("@/server/shared/db"),
    import("@/server/shared/env"),
    import("@/server/shared/errors"),
  ]);
  return { ...control, ...apiTokens, ...principal, ...roles, ...db, ...env, ...errors };
}

const usage = `usage:
  venture token create --email <email> [--name <name>] [--ttl-days <days>]
  venture pause --reason "<why>" --email <founder or admin email> [--wait-ms <ms>]
  venture resume --reason "<why>" --email <founder or admin email>
  venture verify <pack.tar.gz | artifact-bundle.zip> [--key <keyId> | --public-key <file.pem>] [--quiet]`;

/**
 * pause / resume. The operator names themselves with --email and must be founder or admin in some
 * portfolio: the same rule as the UI and the API, and the event names a person rather than "cli"
 * (ADR 0007). Pause then waits up to --wait-ms for live worker instances to confirm.
 */
async function controlCommand(command: "pause" | "resume", args: string[]): Promise<number> {
  const {
    listConfirmations,
    openControlFanout,
    pause,
    resume,
    loadPrincipal,
    roleAllows,
    createDb,
    loadEnv,
    isAppError,
  } = await operatorModules();
  const { values } = parseArgs({
    args,
    options: { reason: { type: "string" }, email: { type: "string" }, "wait-ms": { type: "string" } },
    strict: true,
  });
  if (!values.email) {
    console.error(`venture ${command}: --email is required (a founder or admin acting as operator)`);
    return 2;
  }
  if (values.reason === undefined) {
    console.error(`venture ${command}: --reason is required`);
    return 2;
  }
  const waitMs = values["wait-ms"] === undefined ? 3_000 : Number(values["wait-ms"]);
  if (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > 60_000) {
    console.error(`venture ${command}: --wait-ms must be a whole number from 0 to 60000`);
    return 2;
  }
  const env = loadEnv();
  const db = createDb(env.DATABASE_URL);
  const fanout = openControlFanout({
    natsUrl: env.NATS_URL,
    redisUrl: env.REDIS_URL,
    namespace: env.VENTURE_NAMESPACE,
    clientName: `${env.VENTURE_NAMESPACE}:cli:control`,
  });
  try {
    const user = await db.user.findUnique({
      where: { email: values.email.trim().toLowerCase() },
      select: { id: true },
    });
    const principal = user ? await loadPrincipal(db, user.id) : null;
    if (!principal) {
      console.error(`venture ${command}: no user with email ${values.email}`);
      return 1;
    }
    const permission = command === "pause" ? "control.pause" : "control.resume";
    if (!principal.memberships.some((m) => roleAllows(m.role, permission))) {
      console.error(`venture ${command}: ${values.email} is not founder or admin in any portfolio`);
      return 1;
    }
    const change = command === "pause" ? pause : resume;
    const result = await change({
      db,
      actor: { type: "user", id: principal.userId },
      actorName: principal.name || principal.email,
      correlationId: `cor_cli_${command}_${Date.now()}`,
      reason: values.reason,
      fanout,
    });
    const { state } = result;
    console.log(
      `${state.state} (epoch ${state.epoch}) by ${state.by.name} since ${state.since.toISOString()}: ${state.reason}` +
        (result.changed ? "" : " — it already was; nothing recorded"),
    );
    if (result.fanout && (result.fanout.nats !== "ok" || result.fanout.redis !== "ok")) {
      console.error(
        `announcement: NATS ${result.fanout.nats}, Redis ${result.fanout.redis}; workers will see it at their next lease renewal`,
      );
    }
    if (command === "pause" && waitMs > 0) {
      const deadline = Date.now() + waitMs;
      let view = await listConfirmations({ db, epoch: state.epoch });
      while (view.pending.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        view = await listConfirmations({ db, epoch: state.epoch });
      }
      for (const c of view.confirmations) {
        const stopped = Object.entries(c.terminated)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(", ");
        console.log(
          `  confirmed ${c.worker} ${c.instanceId}: ${c.afterPauseMs} ms after the pause${stopped ? ` (${stopped})` : ""}`,
        );
      }
      for (const p of view.pending) console.log(`  NOT confirmed yet: ${p.worker} ${p.instanceId}`);
      if (view.confirmations.length === 0 && view.pending.length === 0) {
        console.log("  no live worker instance to confirm");
      }
    }
    return 0;
  } catch (error) {
    if (isAppError(error)) {
      console.error(`venture ${command}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await fanout.close();
    await db.$disconnect();
  }
}

async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === "pause" || group === "resume") return controlCommand(group, argv.slice(1));
  if (group === "verify") {
    const { runVerifyCommand } = await import("@/server/contexts/compliance/verify-pack-command");
    return runVerifyCommand(argv.slice(1));
  }
  if (group === "token" && command === "create") {
    const { createApiToken, createDb, loadEnv, isAppError } = await operatorModules();
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
