// tRPC: the context every procedure receives, the procedure ladder (public → signed-in →
// portfolio role), and the one mapping from AppError and input errors to tRPC errors.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { actorOf, type Principal } from "@/server/contexts/identity/principal";
import { type Permission, type Role, roleAllows } from "@/server/contexts/identity/roles";
import { portfolioOfVenture } from "@/server/contexts/orchestration/api";
import { appErrorOf, type Db } from "@/server/shared/db";
import { AppError, type ErrorCode, retryAfterSeconds } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import type { Logger } from "@/server/shared/logger";

export type TrpcContext = {
  db: Db;
  log: Logger;
  principal: Principal | null;
  /** Set when a request carried credentials that did not authenticate (bad or expired token). */
  credentialsRejected?: boolean;
  correlationId: string;
};

/** Who may call a procedure. Every procedure declares one; the role matrix test reads them. */
export type ProcedureMeta =
  | { access: "public" }
  | { access: "signed_in" }
  | { access: "portfolio"; permission: Permission }
  | { access: "any_portfolio"; permission: Permission };

const trpcCodes: Record<ErrorCode, TRPCError["code"]> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  UNPROCESSABLE: "UNPROCESSABLE_CONTENT",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
};

/** Field paths and messages of a zod error, e.g. { "amountMinor": "must be digits" }. */
export function zodFields(error: ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) fields[[...issue.path, key].join(".")] = "unknown field";
      continue;
    }
    const path = issue.path.join(".") || "(input)";
    fields[path] ??= issue.message;
  }
  return fields;
}

const t = initTRPC
  .context<TrpcContext>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      const fields =
        cause instanceof ZodError
          ? zodFields(cause)
          : cause instanceof AppError
            ? cause.details.fields
            : undefined;
      const appCode = cause instanceof AppError ? cause.code : undefined;
      // Policy texts report each problem with line and column; the editor shows them inline.
      const problems =
        cause instanceof AppError && Array.isArray(cause.details.problems)
          ? cause.details.problems
          : undefined;
      return { ...shape, data: { ...shape.data, stack: undefined, appCode, fields, problems } };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Headers for a tRPC HTTP response (the fetch adapter's responseMeta): a 503 (overload, or a
 * dependency that cannot be confirmed) says when to retry, as the HTTP API does.
 */
export function trpcResponseMeta({ errors }: { errors: readonly TRPCError[] }): { headers?: Headers } {
  return errors.some((error) => error.code === "SERVICE_UNAVAILABLE")
    ? { headers: new Headers({ "retry-after": String(retryAfterSeconds) }) }
    : {};
}

/** An AppError as the TRPCError of its code, keeping it as the cause. */
export function toTrpcError(error: AppError): TRPCError {
  return new TRPCError({ code: trpcCodes[error.code], message: error.message, cause: error });
}

/** Maps AppError to TRPCError once, for every procedure; input errors name their fields. */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    const appError = appErrorOf(cause);
    if (appError) throw toTrpcError(appError);
    if (result.error.code === "BAD_REQUEST" && cause instanceof ZodError) {
      const fields = zodFields(cause);
      const summary = Object.entries(fields)
        .map(([field, message]) => `${field}: ${message}`)
        .join("; ");
      throw new TRPCError({ code: "BAD_REQUEST", message: `Invalid input: ${summary}`, cause });
    }
  }
  return result;
});

export const publicProcedure = t.procedure.use(errorMapping).meta({ access: "public" });

export const signedInProcedure = publicProcedure.meta({ access: "signed_in" }).use(({ ctx, next }) => {
  if (!ctx.principal) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: ctx.credentialsRejected ? "The API token is invalid, revoked or expired" : "Sign in first",
    });
  }
  const actor: EventActor = actorOf(ctx.principal);
  return next({ ctx: { ...ctx, principal: ctx.principal, actor } });
});

/**
 * A procedure acting inside one portfolio. The portfolio comes from input.portfolioId, or from
 * the venture named by input.ventureId. Not a member → NOT_FOUND (other tenants' data does not
 * exist for you); a member whose role lacks the permission → FORBIDDEN.
 */
export function portfolioProcedure(permission: Permission) {
  return signedInProcedure
    .meta({ access: "portfolio", permission })
    .use(async ({ ctx, next, getRawInput }) => {
      const raw = (await getRawInput()) as { portfolioId?: unknown; ventureId?: unknown } | undefined;
      let portfolioId: string | null = null;
      if (typeof raw?.portfolioId === "string") portfolioId = raw.portfolioId;
      else if (typeof raw?.ventureId === "string")
        portfolioId = await portfolioOfVenture(ctx.db, raw.ventureId);
      else
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "Invalid input: portfolioId or ventureId is required",
        });
      const membership = portfolioId
        ? ctx.principal.memberships.find((m) => m.portfolioId === portfolioId)
        : undefined;
      if (!portfolioId || !membership) {
        throw new TRPCError({
          code: "NOT_FOUND",
          message:
            typeof raw?.ventureId === "string"
              ? `Venture ${raw.ventureId} not found`
              : `Portfolio ${portfolioId} not found`,
        });
      }
      if (!roleAllows(membership.role, permission)) {
        throw new TRPCError({
          code: "FORBIDDEN",
          message: `Your role ${membership.role} may not ${permission} in portfolio ${portfolioId}`,
        });
      }
      return next({ ctx: { ...ctx, portfolioId, role: membership.role as Role } });
    });
}

/**
 * A procedure acting on everything rather than one portfolio (the kill-switch): allowed when the
 * permission comes with the caller's role in at least one portfolio. Nothing is hidden behind
 * NOT_FOUND here, since there is no tenant to probe; a caller without it gets FORBIDDEN.
 */
export function anyPortfolioRoleProcedure(permission: Permission) {
  return signedInProcedure.meta({ access: "any_portfolio", permission }).use(({ ctx, next }) => {
    const membership = ctx.principal.memberships.find((m) => roleAllows(m.role, permission));
    if (!membership) {
      const held = ctx.principal.memberships.map((m) => m.role).join(", ") || "no role in any portfolio";
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `Your roles (${held}) may not ${permission}: it needs founder or admin in a portfolio`,
      });
    }
    return next({ ctx: { ...ctx, role: membership.role as Role } });
  });
}
