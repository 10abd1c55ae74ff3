// The one place that reads process.env. Parsed once with zod at start-up; testable code receives
// the parsed config instead of reading the environment itself.
import fs from "node:fs";
import { z } from "zod";

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z.url().default("postgresql://postgres@127.0.0.1:5432/venture"),
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
  /** Prefix of JetStream stream names, subjects and Redis keys, so several deployments (or test
   * files) can share one NATS and one Redis without seeing each other. */
  VENTURE_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,40}$/, "lower-case letters, digits and _, starting with a letter")
    .default("venture"),
  AUTH_SECRET: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().min(32, "must be at least 32 characters (npm run up generates one)").optional(),
  ),
  AUTH_URL: z.url().default("http://localhost:3000"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  AUDIT_SIGNING_KEY_PATH: z.string().default(".data/keys"),
  /** Master key wrapping every data subject's key (docs/decisions/0013): 32 bytes, base64 or
   * base64url. Unset: a key file beside the audit keys (.data/personal-data/master.key) is made on
   * first use, which suits one host; several hosts must share this value. */
  PII_MASTER_KEY: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .refine(
        (value) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, "base64").length === 32,
        "must be 32 random bytes, base64 or base64url (openssl rand -base64 32)",
      )
      .optional(),
  ),
  /** Retention of personal data per subject type, in days after the subject's last activity, e.g.
   * "customer=730,contact=365" (a type not named is kept until erased on request). */
  PII_RETENTION_DAYS: z
    .string()
    .regex(
      /^((person|customer|contact)=\d{1,5})?(,(person|customer|contact)=\d{1,5})*$/,
      "comma-separated type=days, types person, customer, contact",
    )
    .default("customer=730,contact=730"),
  /** How often each worker writes its heartbeat; health calls a worker down after 3 missed beats. */
  WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** Model providers (AGENT-004). Without a key only the deterministic built-in provider runs. */
  ANTHROPIC_API_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  ANTHROPIC_BASE_URL: z.preprocess((value) => (value === "" ? undefined : value), z.url().optional()),
  OPENAI_API_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  /** Any OpenAI-compatible server (vLLM, llama.cpp, Ollama …). */
  OPENAI_BASE_URL: z.preprocess((value) => (value === "" ? undefined : value), z.url().optional()),
  /** A running task's lease: an agent that stops renewing it for this long has lost the run. */
  AGENT_LEASE_MS: z.coerce.number().int().min(300).max(600_000).default(15_000),
  /** A dispatched task no agent started within this is failed and retried. */
  ORCHESTRATOR_DISPATCH_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(600_000),
  /** Tasks in flight across all ventures at most: the pool the fair share divides. */
  ORCHESTRATOR_GLOBAL_CONCURRENCY: z.coerce.number().int().min(1).max(100_000).default(64),
  /** Rails (TREAS-008, ADR 0011): where approved money intents are paid. */
  TREASURY_RAIL: z.enum(["sandbox", "stripe"]).default("sandbox"),
  /** The sandbox rail settles a payout this long after it was submitted. */
  SANDBOX_RAIL_SETTLE_MS: z.coerce.number().int().min(0).max(86_400_000).default(2_000),
  /** Failure simulation: payouts to these counterparties (comma-separated) fail … */
  SANDBOX_RAIL_FAIL_COUNTERPARTIES: z.string().default(""),
  /** … and this fraction of the others, chosen by a hash of the intent id (so retries agree). */
  SANDBOX_RAIL_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  STRIPE_SECRET_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  STRIPE_WEBHOOK_SECRET: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  /** Another Stripe API endpoint (a local fake in tests): protocol, host and port are taken from it. */
  STRIPE_API_URL: z.preprocess((value) => (value === "" ? undefined : value), z.url().optional()),
  /** Scheduled reconciliation of every portfolio's ledger against its rail statement. */
  TREASURY_RECONCILE_EVERY_SECONDS: z.coerce.number().int().min(10).max(604_800).default(3_600),
  /** Automatic freeze on a velocity spike: more intents, or more minor units, in the window. */
  TREASURY_VELOCITY_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  TREASURY_VELOCITY_MAX_INTENTS: z.coerce.number().int().min(1).max(1_000_000).default(50),
  TREASURY_VELOCITY_MAX_AMOUNT_MINOR: z.coerce.bigint().min(1n).default(10_000_000n),
  /** Automatic freeze on a burn spike: settled spend in the window above factor x the usual. */
  TREASURY_BURN_WINDOW_SECONDS: z.coerce.number().int().min(60).max(604_800).default(3_600),
  TREASURY_BURN_SPIKE_FACTOR: z.coerce.number().int().min(2).max(1_000).default(5),
  TREASURY_BURN_MIN_MINOR: z.coerce.bigint().min(1n).default(1_000_000n),
  /** "provider:model" to send every agent role to one model (e.g. anthropic:claude-sonnet-4-5). */
  AGENT_MODEL: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .regex(
        /^(builtin|anthropic|openai):[A-Za-z0-9._:/-]{1,100}$/,
        "provider:model, provider one of builtin, anthropic, openai",
      )
      .optional(),
  ),
  /**
   * Artifact compiler provider chains per modality (ARTIF-003): "provider:model" entries separated
   * by commas, tried in order. Unset: the built-in deterministic provider first in development and
   * test, last (as the fallback) in production, with every configured paid provider.
   */
  ARTIFACT_TEXT_CHAIN: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .regex(
        /^(builtin|anthropic|openai):[A-Za-z0-9._:/-]{1,100}(,(builtin|anthropic|openai):[A-Za-z0-9._:/-]{1,100})*$/,
        "provider:model[,provider:model…], provider one of builtin, anthropic, openai",
      )
      .optional(),
  ),
  ARTIFACT_IMAGE_CHAIN: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .regex(
        /^(builtin|openai|google):[A-Za-z0-9._:/-]{1,100}(,(builtin|openai|google):[A-Za-z0-9._:/-]{1,100})*$/,
        "provider:model[,provider:model…], provider one of builtin, openai, google",
      )
      .optional(),
  ),
  ARTIFACT_VIDEO_CHAIN: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .regex(
        /^(builtin|anthropic|openai):[A-Za-z0-9._:/-]{1,100}(,(builtin|anthropic|openai):[A-Za-z0-9._:/-]{1,100})*$/,
        "provider:model[,provider:model…], provider one of builtin, anthropic, openai",
      )
      .optional(),
  ),
  /** Longest one artifact provider call may take before the chain moves to the next provider. */
  ARTIFACT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  /** Google's Generative Language API (Imagen) for artifact images. */
  GOOGLE_API_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  GOOGLE_BASE_URL: z.preprocess((value) => (value === "" ? undefined : value), z.url().optional()),
  /** The Chromium the artifact compiler renders PDF and PNG with (Debian's package). */
  CHROMIUM_PATH: z.string().default("/usr/bin/chromium"),
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** Parses the environment once. A bad value stops start-up with the variable named. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source === process.env && cached) return cached;
  if (source === process.env && fs.existsSync(".env") && !process.env.VENTURE_ENV_LOADED) {
    process.loadEnvFile(".env");
    process.env.VENTURE_ENV_LOADED = "1";
  }
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment: ${problems.join("; ")}`);
  }
  if (source === process.env) cached = parsed.data;
  return parsed.data;
}
