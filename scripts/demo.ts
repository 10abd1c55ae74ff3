// `npm run demo`: a realistic portfolio with 90 days of history, then a live venture run.
//
// Run it once `npm run up` is running (it uses the same .env, database and development users):
// it seeds "Acme Ventures (demo)" — six ventures with different fortunes, about 100,000 events,
// deposits, allocations, model spend and revenue on their own days — and then launches a venture
// from a template with an approved budget, which the running workers pick up with the built-in
// provider. A second run refuses (the demo portfolio exists) and writes nothing;
// `npm run demo -- --live` launches one more live venture in it instead.
//
//   npm run demo [-- --live] [--no-wait] [--days <n>] [--events <n>] [--ventures <n>]
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type LiveRun, liveProgress } from "@/server/demo/live-run";
import { type DemoScale, demoPortfolioName, fullDemoScale } from "@/server/demo/plan";
import { findDevUsers, seedDemo, startDemoLiveRun } from "@/server/demo/seed-demo";
import { createDb, type Db } from "@/server/shared/db";
import { loadEnv } from "@/server/shared/env";
import { isAppError } from "@/server/shared/errors";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const credentialsFile = path.join(root, ".data", "dev-credentials.txt");

function fail(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(1);
}

type Args = { live: boolean; wait: boolean; scale: DemoScale };

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { live: false, wait: true, scale: { ...fullDemoScale } };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const number = (key: keyof DemoScale) => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value <= 0) fail(`${arg} needs a positive whole number`);
      args.scale[key] = value;
    };
    if (arg === "--live") args.live = true;
    else if (arg === "--no-wait") args.wait = false;
    else if (arg === "--days") number("days");
    else if (arg === "--events") number("events");
    else if (arg === "--ventures") number("ventures");
    else fail(`unknown argument ${arg}; known: --live, --no-wait, --days <n>, --events <n>, --ventures <n>`);
  }
  return args;
}

const money = (minor: bigint) =>
  `$${(Number(minor) / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

async function demoPortfolio(db: Db): Promise<string | null> {
  const [row] = await db.$queryRawUnsafe<Array<{ id: string }>>(
    "SELECT id FROM portfolios WHERE name = $1",
    demoPortfolioName,
  );
  return row?.id ?? null;
}

/** Polls the live venture until an agent has finished a task (or gives up, with a hint). */
async function watch(db: Db, run: LiveRun, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let last = "";
  while (Date.now() - started < timeoutMs) {
    const progress = await liveProgress(db, run);
    const tasks = Object.entries(progress.tasks)
      .map(([status, n]) => `${n} ${status}`)
      .join(", ");
    const line = `${run.ventureName}: ${progress.status}, stage ${progress.stage}; tasks: ${tasks}`;
    if (line !== last) console.log(`  [${Math.round((Date.now() - started) / 1000)}s] ${line}`);
    last = line;
    if ((progress.tasks.succeeded ?? 0) > 0) {
      console.log("demo: agents are at work; the dashboard and the venture page update live.");
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  console.log(
    `demo: no task of ${run.ventureName} finished within ${timeoutMs / 1000}s. Are the workers running? ` +
      "Start everything with `npm run up`; the run waits in the database and starts when they do.",
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The same settings as `npm run up`: its .env, with values already in the environment winning.
  const envFile = path.join(root, ".env");
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  const env = loadEnv();
  if (env.NODE_ENV === "production") fail("refusing to seed demo data into a production database");
  const db = createDb(env.DATABASE_URL, { poolMax: 6, statementTimeoutMs: 120_000 });
  try {
    const members = await findDevUsers(db).catch((error: unknown) => {
      if (isAppError(error)) throw error;
      const database = new URL(env.DATABASE_URL);
      fail(
        `cannot read the development users from ${database.host}${database.pathname} (${error instanceof Error ? error.message.split("\n")[0] : String(error)}): is \`npm run up\` running?`,
      );
    });
    const launched = (run: LiveRun) =>
      console.log(
        `demo: launched ${run.ventureName} from the product-launch template; budget ${money(run.budgetMinor)} requested by the founder, ` +
          `approved by the finance controller (${run.allocationStatus}); the workers take it from here`,
      );
    let run: LiveRun | null;
    if (args.live) {
      const portfolioId = await demoPortfolio(db);
      if (!portfolioId) fail("there is no demo portfolio yet; run `npm run demo` first");
      run = await startDemoLiveRun(db, portfolioId, members);
      launched(run);
    } else {
      if (await demoPortfolio(db)) {
        fail(
          `the demo portfolio "${demoPortfolioName}" already exists; nothing was written. Sign in to look at it, or launch one more live venture in it with \`npm run demo -- --live\`.`,
        );
      }
      const started = performance.now();
      console.log(
        `demo: seeding "${demoPortfolioName}": ${args.scale.ventures} ventures, ${args.scale.days} days, about ${args.scale.events.toLocaleString("en-US")} events`,
      );
      const seeded = await seedDemo({
        db,
        scale: args.scale,
        members,
        live: true,
        onLive: launched,
        onProgress: (message) => console.log(`  ${message}`),
      }).catch((error: unknown) => {
        if (isAppError(error) && error.details.reason === "demo_exists") {
          fail(
            `${error.message}. Sign in to look at it, or launch one more live venture in it with \`npm run demo -- --live\`.`,
          );
        }
        throw error;
      });
      const seconds = (performance.now() - started) / 1000;
      const c = seeded.history.counts;
      console.log(
        `demo: seeded in ${seconds.toFixed(1)} s: ${c.events.toLocaleString("en-US")} events, ${c.tasks.toLocaleString("en-US")} tasks, ` +
          `${c.modelCalls.toLocaleString("en-US")} model calls, ${c.sales.toLocaleString("en-US")} payments, ${c.deposits} deposits, ` +
          `${c.allocations} allocations, ${c.ledgerEntries.toLocaleString("en-US")} ledger entries`,
      );
      for (const venture of seeded.history.ventures)
        console.log(`  ${venture.name.padEnd(24)} ${venture.fortune}`);
      run = seeded.live;
    }
    if (!run) fail("the live run did not start");
    console.log("");
    console.log(`Open ${env.AUTH_URL}/dashboard (portfolio "${demoPortfolioName}")`);
    console.log(`     ${env.AUTH_URL}/ventures/${run.ventureId} (the live run)`);
    if (existsSync(credentialsFile)) {
      console.log("");
      console.log(readFileSync(credentialsFile, "utf8").trimEnd());
    } else {
      console.log(
        `Sign-in details are written by \`npm run db:seed\` to ${path.relative(root, credentialsFile)}.`,
      );
    }
    console.log("");
    if (args.wait) await watch(db, run, 90_000);
  } catch (error) {
    if (isAppError(error)) fail(error.message);
    throw error;
  } finally {
    await db.$disconnect();
  }
}

main().catch((error: unknown) =>
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
