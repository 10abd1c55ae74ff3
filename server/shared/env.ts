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
