import type { Clock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError, invariant } from "@/server/shared/errors";
import type { Role } from "@/server/shared/events/catalog";
import type { PolicyScope } from "@/server/shared/events/catalog/policy";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import type { CompiledPolicySet, PolicyProblem } from "./engine";
import {
  assertMayPublishPolicy,
  compileOrRefuse,
  decidePublishVersion,
  type PolicySetState,
  parsePolicyNote,
  parsePolicyScope,
  policySetStream,
} from "./policy-set";

export type PublishedPolicyVersion = {
  portfolioId: string;
  scope: PolicyScope;
  versionNumber: number;
  versionHash: string;
  policyIds: string[];
  /** false when the text was already the active version: nothing was written. */
  changed: boolean;
  /** Validator warnings (e.g. a policy that can never apply); they do not stop the publish. */
  warnings: PolicyProblem[];
};

/**
 * Publishes a new version of a portfolio's policy set and makes it active, in one transaction
 * with its policy.version_published event. Admin only. The text is compiled first: a text that
 * does not parse or validate writes nothing and is refused with BAD_REQUEST naming field "text",
 * each problem with line and column. Concurrent publishes to the same set are serialised by a row
 * lock: each becomes its own version, and the last to commit is active.
 */
export async function publishPolicyVersion(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  /** The actor's role in portfolioId, resolved by the caller from the actor's membership. */
  role: Role | null;
  portfolioId: string;
  scope: string;
  text: string;
  note?: string | null;
}): Promise<PublishedPolicyVersion> {
  assertMayPublishPolicy(options.role, options.portfolioId);
  const scope = parsePolicyScope(options.scope);
  const note = parsePolicyNote(options.note);
  const { policySet, warnings } = compileOrRefuse(scope, options.text);
  const result = await withTransaction(options.db, (tx) =>
    appendPolicyVersion(tx, options, {
      portfolioId: options.portfolioId,
      scope,
      text: options.text,
      note,
      policySet,
      onlyIfNoneActive: false,
    }),
  );
  invariant(result !== null, "a publish that does not require an empty set always decides");
  return { ...result, warnings };
}

/**
 * The write half of a publish, inside the caller's transaction: lock the set (creating it on
 * first use), decide, append the event, insert the version, switch the active pointer. With
 * onlyIfNoneActive it does nothing (returns null) when a version is already active: seeding.
 */
export async function appendPolicyVersion(
  tx: Tx,
  ctx: CommandContext,
  command: {
    portfolioId: string;
    scope: PolicyScope;
    text: string;
    note: string | null;
    policySet: CompiledPolicySet;
    onlyIfNoneActive: boolean;
  },
): Promise<Omit<PublishedPolicyVersion, "warnings"> | null> {
  const { portfolioId, scope } = command;
  const portfolio = await tx.portfolio.findUnique({ where: { id: portfolioId }, select: { id: true } });
  if (!portfolio) {
    throw new AppError("NOT_FOUND", `Portfolio ${portfolioId} does not exist`, {
      fields: { portfolioId: "unknown" },
    });
  }
  const state = await lockPolicySet(tx, portfolioId, scope);
  if (command.onlyIfNoneActive && state.activeNumber !== null) return null;

  const decision = decidePublishVersion(command, state);
  if (decision.kind === "unchanged") {
    return {
      portfolioId,
      scope,
      versionNumber: decision.versionNumber,
      versionHash: decision.versionHash,
      policyIds: [...command.policySet.policyIds],
      changed: false,
    };
  }
  const { payload } = decision;
  const [event] = await appendEvents(tx, ctx, [
    {
      type: "policy.version_published",
      stream: policySetStream(portfolioId, scope),
      expectedVersion: decision.expectedVersion,
      portfolioId,
      payload,
    },
  ]);
  const at = new Date(event!.occurredAt);
  await tx.policyVersion.create({
    data: {
      portfolioId,
      scope,
      number: payload.versionNumber,
      text: payload.text,
      versionHash: payload.versionHash,
      policyIds: payload.policyIds,
      note: payload.note,
      createdByType: ctx.actor.type,
      createdById: ctx.actor.id,
      createdAt: at,
    },
  });
  await tx.policySet.update({
    where: { portfolioId_scope: { portfolioId, scope } },
    data: {
      activeNumber: payload.versionNumber,
      latestNumber: payload.versionNumber,
      streamVersion: decision.expectedVersion + 1,
      updatedAt: at,
    },
  });
  return {
    portfolioId,
    scope,
    versionNumber: payload.versionNumber,
    versionHash: payload.versionHash,
    policyIds: payload.policyIds,
    changed: true,
  };
}

/**
 * Creates the set row on first use and locks it FOR UPDATE until commit, so publishes to one set
 * run one after another. A concurrent first publish waits on the insert and then finds the row.
 */
async function lockPolicySet(tx: Tx, portfolioId: string, scope: PolicyScope): Promise<PolicySetState> {
  await tx.$executeRaw`
    INSERT INTO policy_sets (portfolio_id, scope, active_number, latest_number, stream_version, created_at, updated_at)
    VALUES (${portfolioId}, ${scope}, NULL, 0, 0, now(), now())
    ON CONFLICT (portfolio_id, scope) DO NOTHING`;
  const rows = await tx.$queryRaw<
    Array<{ stream_version: number; latest_number: number; active_number: number | null }>
  >`
    SELECT stream_version, latest_number, active_number FROM policy_sets
     WHERE portfolio_id = ${portfolioId} AND scope = ${scope} FOR UPDATE`;
  const row = rows[0];
  invariant(row, `policy set ${portfolioId}/${scope} exists after the upsert`);
  // Read the active hash in a statement of its own: it takes a fresh snapshot after the lock
  // wait, so it sees the version a concurrent publish just committed.
  const active =
    row.active_number === null
      ? null
      : await tx.policyVersion.findUnique({
          where: { portfolioId_scope_number: { portfolioId, scope, number: row.active_number } },
          select: { versionHash: true },
        });
  invariant(row.active_number === null || active, `active policy version ${row.active_number} exists`);
  return {
    streamVersion: row.stream_version,
    latestNumber: row.latest_number,
    activeNumber: row.active_number,
    activeHash: active?.versionHash ?? null,
  };
}
