// The role x route matrix of the HTTP API (CTRL-005): every route of the route table
// (server/trpc/http-api.ts), called with an API token of each role, of a member of another
// portfolio, with no token and with tokens that do not authenticate. A route added to the table
// without an entry here fails this test.
//
// Tenancy is probed twice: the other portfolio's admin sends our identifiers (not a member: 404),
// and, for routes that name a resource, sends their OWN portfolio id with OUR resource's id, which
// is how a leak across portfolios would happen (must be refused, never answered).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactsMatrixFixture, landingPageIr } from "@/server/contexts/artifacts/testing";
import { complianceMatrixFixture } from "@/server/contexts/compliance/testing";
import { resume } from "@/server/contexts/control/api";
import { authenticateApiToken, createApiToken } from "@/server/contexts/identity/api-tokens";
import { recordNotifications } from "@/server/contexts/notifications/api";
import { notificationsMatrixFixture } from "@/server/contexts/notifications/testing";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { treasuryMatrixFixture } from "@/server/contexts/treasury/intents/testing";
import { railsMatrixFixture, voidMatrixFixture } from "@/server/contexts/treasury/rails/testing";
import { withTransaction } from "@/server/shared/db";
import type { Role } from "@/server/shared/events/catalog";
import type { AnyEnvelope } from "@/server/shared/events/envelope";
import { newId } from "@/server/shared/ids";
import { createLogger } from "@/server/shared/logger";
import { openTestServices, type TestServices } from "@/test/services";
import { type RoleFixture, roleFixture } from "./fixtures";
import { handleHttpApi, httpRoutes } from "./http-api";
import type { TrpcContext } from "./init";
import { orchestrationMatrixFixture } from "./routers/orchestration/matrix-fixture";

type Caller = Role | "outsider";
type Who = Caller | "signed_out" | "unknown_token" | "expired_token";
const everyone: Role[] = ["founder", "finance_controller", "auditor", "admin"];

type Request = { params?: Record<string, string>; query?: Record<string, string>; body?: unknown };

type Fixture = RoleFixture & {
  ventureId: string;
  compliance: Awaited<ReturnType<typeof complianceMatrixFixture>>;
  work: Awaited<ReturnType<typeof orchestrationMatrixFixture>>;
  money: Awaited<ReturnType<typeof treasuryMatrixFixture>>;
  voids: Awaited<ReturnType<typeof voidMatrixFixture>>;
  hooks: Awaited<ReturnType<typeof notificationsMatrixFixture>>;
  rails: Awaited<ReturnType<typeof railsMatrixFixture>>;
  arts: Awaited<ReturnType<typeof artifactsMatrixFixture>>;
  /** A notification of the founder in this portfolio. */
  founderNotificationId: string;
};

type RouteCase = {
  /** Roles that get the route's success status; "signed_in": every signed-in caller, outsider too. */
  allowed: Role[] | "signed_in";
  /** A valid request for this caller. */
  request(f: Fixture, who: Who): Request;
  /** What the other portfolio's admin gets with our identifiers: 404 unless the route is global. */
  outsider?: number;
  /**
   * The other portfolio's admin with their own portfolio id and our resource's id: refused
   * (status), or, for a report that answers for their portfolio only, 200 with none of ours in it.
   */
  crossTenant?: { request(f: Fixture): Request; status: number; answersOnlyTheirs?: true };
  /** Undo what the route did (e.g. a global pause), after its row ran. */
  after?(f: Fixture): Promise<void>;
};

const random = () => Math.random().toString(36).slice(2, 9);
/** The fixture venture's name: a cross-tenant answer must not contain it. */
const venturesName = "Http matrix venture";
const portfolio = (f: Fixture) => ({ portfolioId: f.portfolioId });
const other = (f: Fixture) => ({ portfolioId: f.otherPortfolioId });
/** Only callers who will succeed use up a fixture's one-per-call resources. */
const allowedCall = (who: Who, roles: Role[]) => (roles as string[]).includes(who);

const routes: Record<string, RouteCase> = {
  // Ventures and tasks (CTRL-001): founders and admins act, every role reads.
  "POST /ventures": {
    allowed: ["founder", "admin"],
    request: (f) => ({ body: { portfolioId: f.portfolioId, name: `Http matrix ${random()}` } }),
  },
  "GET /ventures": { allowed: everyone, request: (f) => ({ query: portfolio(f) }) },
  "GET /ventures/{id}": { allowed: everyone, request: (f) => ({ params: { id: f.ventureId } }) },
  "GET /templates": { allowed: "signed_in", request: () => ({}) },
  "POST /templates/{id}/launch": {
    allowed: ["founder", "admin"],
    request: (f) => ({
      params: { id: "content-newsletter" },
      body: { portfolioId: f.portfolioId, name: `Http template ${random()}` },
    }),
  },
  "POST /ventures/{id}/goals": {
    allowed: ["founder", "admin"],
    request: (f) => ({ params: { id: f.ventureId }, body: { goal: "Sell matrix kits over HTTP" } }),
  },
  "POST /ventures/{id}/workstreams": {
    allowed: ["founder", "admin"],
    request: (f) => ({
      params: { id: f.ventureId },
      body: { title: "Http DAG", tasks: [{ key: "a", title: "A", role: "researcher" }] },
    }),
  },
  "GET /ventures/{id}/tasks": { allowed: everyone, request: (f) => ({ params: { id: f.ventureId } }) },
  "GET /tasks/{id}": { allowed: everyone, request: (f) => ({ params: { id: f.work.taskIds.get } }) },
  // A second pause, resume or cancel of the same task is a no-op: both allowed roles get 200.
  "POST /tasks/{id}/pause": {
    allowed: ["founder", "admin"],
    request: (f) => ({ params: { id: f.work.taskIds.pause }, body: { reason: "http matrix" } }),
  },
  "POST /tasks/{id}/resume": {
    allowed: ["founder", "admin"],
    request: (f) => ({ params: { id: f.work.taskIds.resume }, body: {} }),
  },
  "POST /tasks/{id}/cancel": {
    allowed: ["founder", "admin"],
    request: (f) => ({ params: { id: f.work.taskIds.cancel }, body: { reason: "http matrix" } }),
  },
  // Artifacts (ARTIF-001…007): founders and admins write, build, review and publish; every role
  // reads. /artifacts/{id} routes locate the artifact first (members only). Review steps take an
  // artifact of their own per allowed call, written by someone else (separation of duties).
  "GET /ventures/{id}/artifacts": { allowed: everyone, request: (f) => ({ params: { id: f.ventureId } }) },
  "POST /ventures/{id}/artifacts": {
    allowed: ["founder", "admin"],
    request: (f) => ({
      params: { id: f.ventureId },
      body: { ir: landingPageIr({ sections: 1, title: `Http matrix ${random()}` }) },
    }),
  },
  "GET /artifacts/{id}": { allowed: everyone, request: (f) => ({ params: { id: f.arts.artifactId } }) },
  "POST /artifacts/{id}/versions": {
    allowed: ["founder", "admin"],
    request: (f) => ({
      params: { id: f.arts.artifactId },
      body: { ir: landingPageIr({ sections: 1, title: `Http matrix v ${random()}` }) },
    }),
  },
  "POST /artifacts/{id}/builds": {
    allowed: ["founder", "admin"],
    request: (f) => ({ params: { id: f.arts.artifactId }, body: {} }),
  },
  "GET /artifacts/{id}/builds/{buildId}": {
    allowed: everyone,
    request: (f) => ({ params: { id: f.arts.artifactId, buildId: f.arts.buildId } }),
  },
  "GET /artifacts/{id}/builds/{buildId}/bundle": {
    allowed: everyone,
    request: (f) => ({ params: { id: f.arts.artifactId, buildId: f.arts.buildId } }),
  },
  "GET /artifacts/{id}/diff": {
    allowed: everyone,
    request: (f) => ({ params: { id: f.arts.artifactId }, query: { from: "1", to: "1" } }),
  },
  "POST /artifacts/{id}/submit": {
    allowed: ["founder", "admin"],
    request: (f, who) => ({
      params: { id: allowedCall(who, ["founder", "admin"]) ? f.arts.nextBuilt() : f.arts.artifactId },
      body: {},
    }),
  },
  "POST /artifacts/{id}/approve": {
    allowed: ["founder", "admin"],
    request: (f, who) => ({
      params: { id: allowedCall(who, ["founder", "admin"]) ? f.arts.nextInReview() : f.arts.artifactId },
      body: {},
    }),
  },
  "POST /artifacts/{id}/request-changes": {
    allowed: ["founder", "admin"],
    request: (f, who) => ({
      params: {
        id: allowedCall(who, ["founder", "admin"]) ? f.arts.nextInReviewForChanges() : f.arts.artifactId,
      },
      body: { note: "Please fix the hero" },
    }),
  },
  "POST /artifacts/{id}/publish": {
    allowed: ["founder", "admin"],
    request: (f, who) => ({
      params: { id: allowedCall(who, ["founder", "admin"]) ? f.arts.nextApproved() : f.arts.artifactId },
      body: {},
    }),
  },
  // Treasury (TREAS-001/006/007). Our resources named under the other portfolio's id are not found.
  "POST /intents": {
    allowed: ["founder", "admin"],
    request: (f) => ({
      body: {
        portfolioId: f.portfolioId,
        ventureId: f.ventureId,
        amountMinor: "100",
        currency: "USD",
        counterparty: "acme",
        category: "model_inference",
        purpose: "Http matrix spend",
        idempotencyKey: `http-${random()}`,
      },
    }),
    // Our venture under their portfolio: refused as an unknown venture, nothing created.
    crossTenant: {
      status: 400,
      request: (f) => ({
        body: {
          portfolioId: f.otherPortfolioId,
          ventureId: f.ventureId,
          amountMinor: "100",
          currency: "USD",
          counterparty: "acme",
          category: "model_inference",
          purpose: "Cross-tenant spend",
          idempotencyKey: `http-cross-${random()}`,
        },
      }),
    },
  },
  "GET /intents/{id}": {
    allowed: everyone,
    request: (f) => ({ params: { id: f.money.fourEyesIntentId }, query: portfolio(f) }),
    crossTenant: {
      status: 404,
      request: (f) => ({ params: { id: f.money.fourEyesIntentId }, query: other(f) }),
    },
  },
  // Four eyes: the finance controller's approval, then the admin's.
  "POST /intents/{id}/approve": {
    allowed: ["finance_controller", "admin"],
    request: (f) => ({
      params: { id: f.money.fourEyesIntentId },
      body: { ...portfolio(f), note: "http approval" },
    }),
    crossTenant: {
      status: 404,
      request: (f) => ({
        params: { id: f.money.nextDenyIntentId() },
        body: { ...other(f), note: "not yours" },
      }),
    },
  },
  "POST /intents/{id}/deny": {
    allowed: ["finance_controller", "admin"],
    // Each allowed call denies a pending intent of its own.
    request: (f, who) => ({
      params: { id: who === "finance_controller" || who === "admin" ? f.money.nextDenyIntentId() : "mi_any" },
      body: { ...portfolio(f), note: "http denial" },
    }),
    crossTenant: {
      status: 404,
      request: (f) => ({
        params: { id: f.money.nextDenyIntentId() },
        body: { ...other(f), note: "not yours" },
      }),
    },
  },
  "POST /intents/{id}/void-payout": {
    allowed: ["finance_controller", "admin"],
    // Each allowed call voids an approved payment of its own.
    request: (f, who) => ({
      params: { id: who === "finance_controller" || who === "admin" ? f.voids.nextVoidIntentId() : "mi_any" },
      body: { ...portfolio(f), note: "http void" },
    }),
    crossTenant: {
      status: 404,
      request: (f) => ({
        params: { id: f.voids.nextVoidIntentId() },
        body: { ...other(f), note: "not yours" },
      }),
    },
  },
  "POST /treasury/freeze": {
    allowed: ["finance_controller", "admin"],
    request: (f) => ({
      body: { ...portfolio(f), ventureId: f.money.freezeVentureId, reason: "http freeze" },
    }),
    crossTenant: {
      status: 404,
      request: (f) => ({ body: { ...other(f), ventureId: f.ventureId, reason: "freeze theirs" } }),
    },
  },
  "POST /treasury/unfreeze": {
    allowed: ["finance_controller", "admin"],
    request: (f) => ({
      body: { ...portfolio(f), ventureId: f.money.freezeVentureId, reason: "http unfreeze" },
    }),
    crossTenant: {
      status: 404,
      request: (f) => ({
        body: { ...other(f), ventureId: f.money.freezeVentureId, reason: "unfreeze theirs" },
      }),
    },
  },
  // Rails (ADR 0011): finance controllers and admins reconcile and read the runs; founders and admins
  // take sandbox payments (a new idempotency key per call).
  "POST /treasury/reconciliations": {
    allowed: ["finance_controller", "admin"],
    request: (f) => ({ body: { ...portfolio(f), freezeOnBreak: false } }),
  },
  "GET /treasury/reconciliations": {
    allowed: ["finance_controller", "admin"],
    request: (f) => ({ query: portfolio(f) }),
  },
  "GET /treasury/reconciliations/{id}": {
    allowed: ["finance_controller", "admin"],
    request: (f) => ({ params: { id: f.rails.runId }, query: portfolio(f) }),
    crossTenant: { status: 404, request: (f) => ({ params: { id: f.rails.runId }, query: other(f) }) },
  },
  "POST /treasury/sandbox-payments": {
    allowed: ["founder", "admin"],
    request: (f) => ({
      body: {
        ...portfolio(f),
        ventureId: f.ventureId,
        amountMinor: "1500",
        currency: "USD",
        customer: "http customer",
        idempotencyKey: `http-pay-${random()}`,
      },
    }),
    crossTenant: {
      status: 404,
      request: (f) => ({
        body: {
          ...other(f),
          ventureId: f.ventureId,
          amountMinor: "1500",
          currency: "USD",
          customer: "cross-tenant customer",
          idempotencyKey: `http-cross-pay-${random()}`,
        },
      }),
    },
  },
  // Funding and reports (ADR 0012): finance controllers and admins deposit, founders and admins
  // request allocations, every role reads balances and reports. A report asked under another
  // portfolio for our venture must not show our venture's book.
  "POST /treasury/deposits": {
    allowed: ["finance_controller", "admin"],
    request: (f) => ({
      body: { ...portfolio(f), amountMinor: "100000", currency: "USD", source: "Http capital" },
    }),
  },
  "POST /ventures/{id}/allocations": {
    allowed: ["founder", "admin"],
    request: (f) => ({
      params: { id: f.ventureId },
      body: { amountMinor: "1000", currency: "USD", reason: "Http matrix budget" },
    }),
  },
  "GET /ventures/{id}/balances": { allowed: everyone, request: (f) => ({ params: { id: f.ventureId } }) },
  // Scale-up playbooks (ADR 0017): every role reads; founders, finance controllers and admins
  // configure it (the same configuration again records nothing and answers 200).
  "GET /ventures/{id}/playbook": { allowed: everyone, request: (f) => ({ params: { id: f.ventureId } }) },
  "POST /ventures/{id}/playbook": {
    allowed: ["founder", "finance_controller", "admin"],
    request: (f) => ({
      params: { id: f.ventureId },
      body: { revenueThresholdMinor: "100000", budgetIncreaseMinor: "50000", concurrencyTarget: 6 },
    }),
  },
  "GET /ventures/{id}/playbook/runs": {
    allowed: everyone,
    request: (f) => ({ params: { id: f.ventureId }, query: { limit: "5" } }),
  },
  "GET /ledger/trial-balance": {
    allowed: everyone,
    request: (f) => ({ query: portfolio(f) }),
    crossTenant: {
      status: 200,
      answersOnlyTheirs: true,
      request: (f) => ({ query: { ...other(f), ventureId: f.ventureId } }),
    },
  },
  "GET /treasury/reports/pnl": {
    allowed: everyone,
    request: (f) => ({ query: portfolio(f) }),
    crossTenant: {
      status: 200,
      answersOnlyTheirs: true,
      request: (f) => ({ query: { ...other(f), ventureId: f.ventureId } }),
    },
  },
  "GET /treasury/reports/runway": {
    allowed: everyone,
    request: (f) => ({ query: { ...portfolio(f), windowDays: "7" } }),
    crossTenant: {
      status: 200,
      answersOnlyTheirs: true,
      request: (f) => ({ query: { ...other(f), ventureId: f.ventureId } }),
    },
  },
  "GET /treasury/reports/daily": {
    allowed: everyone,
    request: (f) => ({ query: portfolio(f) }),
    crossTenant: {
      status: 200,
      answersOnlyTheirs: true,
      request: (f) => ({ query: { ...other(f), ventureId: f.ventureId } }),
    },
  },
  "GET /treasury/reports/{report}/csv": {
    allowed: everyone,
    request: (f) => ({ params: { report: "trial-balance" }, query: portfolio(f) }),
    crossTenant: {
      status: 200,
      answersOnlyTheirs: true,
      request: (f) => ({ params: { report: "pnl" }, query: { ...other(f), ventureId: f.ventureId } }),
    },
  },
  // Rebalancing (ORCH-007, ADR 0016): every role reads; founders, finance controllers and admins
  // request transfers between two ventures. Our ventures named under the other portfolio are unknown.
  "GET /rebalancing/recommendations": { allowed: everyone, request: (f) => ({ query: portfolio(f) }) },
  "POST /rebalancing/transfers": {
    allowed: ["founder", "finance_controller", "admin"],
    request: (f) => ({
      body: {
        ...portfolio(f),
        fromVentureId: f.ventureId,
        toVentureId: f.money.freezeVentureId,
        amountMinor: "100",
        currency: "USD",
        reason: "Http matrix transfer",
      },
    }),
    crossTenant: {
      status: 400,
      request: (f) => ({
        body: {
          ...other(f),
          fromVentureId: f.ventureId,
          toVentureId: f.money.freezeVentureId,
          amountMinor: "100",
          currency: "USD",
          reason: "Cross-tenant transfer",
        },
      }),
    },
  },
  "GET /rebalancing/transfers": {
    allowed: everyone,
    request: (f) => ({ query: portfolio(f) }),
    crossTenant: {
      status: 200,
      answersOnlyTheirs: true,
      request: (f) => ({ query: { ...other(f), ventureId: f.ventureId } }),
    },
  },
  // Notifications (CTRL-006): everyone reads and marks their own; webhooks are for admins.
  "GET /notifications": { allowed: everyone, request: (f) => ({ query: portfolio(f) }) },
  "POST /notifications/read": {
    allowed: everyone,
    request: (f) => ({ body: { ...portfolio(f), all: true } }),
    crossTenant: {
      status: 404,
      request: (f) => ({ body: { ...other(f), ids: [f.founderNotificationId] } }),
    },
  },
  "GET /webhooks": { allowed: ["admin"], request: (f) => ({ query: portfolio(f) }) },
  "POST /webhooks": {
    allowed: ["admin"],
    request: (f) => ({
      body: { ...portfolio(f), url: "https://hooks.example.test/http", eventTypes: ["control.paused"] },
    }),
  },
  "GET /webhooks/{id}/deliveries": {
    allowed: ["admin"],
    request: (f) => ({ params: { id: f.hooks.endpointId }, query: portfolio(f) }),
    crossTenant: { status: 404, request: (f) => ({ params: { id: f.hooks.endpointId }, query: other(f) }) },
  },
  "POST /webhooks/{id}/disable": {
    allowed: ["admin"],
    request: (f) => ({ params: { id: f.hooks.endpointId }, body: portfolio(f) }),
    crossTenant: { status: 404, request: (f) => ({ params: { id: f.hooks.endpointId }, body: other(f) }) },
  },
  // The kill-switch is global (no tenant): founder or admin in any portfolio, the outsider too.
  "GET /control": { allowed: "signed_in", request: () => ({}) },
  "POST /control/pause": {
    allowed: ["founder", "admin"],
    outsider: 200,
    request: () => ({ body: { reason: "http matrix" } }),
    after: async (f) => {
      await resume({
        db: s.db,
        actor: { type: "system", id: "test" },
        actorName: "test",
        correlationId: "cor_http_roles",
        reason: "http matrix done",
        fanout: null,
      });
      void f;
    },
  },
  "POST /control/resume": {
    allowed: ["founder", "admin"],
    outsider: 200,
    request: () => ({ body: { reason: "http matrix" } }),
  },
  // Audit: reading is open to every role, evidence packs to auditors and admins.
  "GET /audit/keys": { allowed: "signed_in", request: () => ({}) },
  "GET /audit/verify": { allowed: everyone, request: (f) => ({ query: portfolio(f) }) },
  "POST /evidence-packs": {
    allowed: ["auditor", "admin"],
    request: (f) => ({ body: { ...portfolio(f), from: "2020-01-01", to: "2020-01-02T00:00:00Z" } }),
  },
  "GET /evidence-packs": { allowed: ["auditor", "admin"], request: (f) => ({ query: portfolio(f) }) },
  "GET /evidence-packs/{id}": {
    allowed: ["auditor", "admin"],
    request: (f) => ({ params: { id: f.compliance.packId }, query: portfolio(f) }),
    crossTenant: { status: 404, request: (f) => ({ params: { id: f.compliance.packId }, query: other(f) }) },
  },
  "GET /evidence-packs/{id}/download": {
    allowed: ["auditor", "admin"],
    request: (f) => ({ params: { id: f.compliance.packId }, query: portfolio(f) }),
    crossTenant: { status: 404, request: (f) => ({ params: { id: f.compliance.packId }, query: other(f) }) },
  },
  // Personal data (COMPL-004/005): auditors and admins export, admins erase (a second erasure of
  // the same subject is a no-op, 200). Our subject named under the other portfolio does not exist.
  "POST /compliance/dsar": {
    allowed: ["auditor", "admin"],
    request: (f) => ({ body: { ...portfolio(f), subject: f.compliance.subjectEmail } }),
    crossTenant: {
      status: 404,
      request: (f) => ({ body: { ...other(f), subject: f.compliance.subjectEmail } }),
    },
  },
  "POST /compliance/erasures": {
    allowed: ["admin"],
    request: (f) => ({ body: { ...portfolio(f), subject: f.compliance.erasableSubjectId } }),
    crossTenant: {
      status: 404,
      request: (f) => ({ body: { ...other(f), subject: f.compliance.erasableSubjectId } }),
    },
  },
  // Findings (COMPL-006): every role reads, auditors and admins change the status (same again: 200).
  "GET /findings": { allowed: everyone, request: (f) => ({ query: portfolio(f) }) },
  "POST /findings/{id}/status": {
    allowed: ["auditor", "admin"],
    request: (f) => ({
      params: { id: f.compliance.findingId },
      body: { ...portfolio(f), status: "acknowledged" },
    }),
    crossTenant: {
      status: 404,
      request: (f) => ({
        params: { id: f.compliance.findingId },
        body: { ...other(f), status: "acknowledged" },
      }),
    },
  },
};

let s: TestServices;
let f: Fixture;
const tokens = {} as Record<Caller | "expired_token", string>;
const log = createLogger({ name: "test", level: "silent" });

beforeAll(async () => {
  s = await openTestServices();
  const base = await roleFixture(s.db);
  const venture = await createVenture({
    db: s.db,
    actor: { type: "system", id: "test" },
    correlationId: "cor_http_roles",
    portfolioId: base.portfolioId,
    name: venturesName,
    goal: null,
  });
  const compliance = await complianceMatrixFixture(s.db, base.portfolioId);
  const work = await orchestrationMatrixFixture(s.db, base.portfolioId, venture.id);
  const hooks = await notificationsMatrixFixture(s.db, base.portfolioId);
  const rails = await railsMatrixFixture(s.db, base.portfolioId);
  const arts = await artifactsMatrixFixture(s.db, venture.id, s.env.CHROMIUM_PATH);
  const money = await treasuryMatrixFixture(s.db, {
    portfolioId: base.portfolioId,
    ventureId: venture.id,
    founderUserId: base.principals.founder.userId,
  });
  const voids = await voidMatrixFixture(s.db, {
    portfolioId: base.portfolioId,
    ventureId: venture.id,
    founderUserId: base.principals.founder.userId,
  });
  // A notification for everyone (a kill-switch event, as the notifier records it).
  const eventId = newId("event");
  await withTransaction(s.db, (tx) =>
    recordNotifications(
      tx,
      {
        id: eventId,
        type: "control.paused",
        schemaVersion: 1,
        stream: { type: "control", id: "global", version: 1 },
        portfolioId: null,
        occurredAt: new Date().toISOString(),
        actor: { type: "system", id: "test" },
        correlationId: "cor_http_roles",
        causationId: null,
        payload: { scope: "global", epoch: 1, reason: "fixture" },
        sequence: 1,
        prevHash: "0".repeat(64),
        hash: "1".repeat(64),
      } as AnyEnvelope,
      { appUrl: "http://venture.test" },
    ),
  );
  const [notification] = await s.db.$queryRawUnsafe<Array<{ id: string }>>(
    "SELECT id FROM notifications WHERE user_id = $1 AND event_id = $2",
    base.principals.founder.userId,
    eventId,
  );
  f = {
    ...base,
    ventureId: venture.id,
    compliance,
    work,
    money,
    voids,
    hooks,
    rails,
    arts,
    founderNotificationId: notification!.id,
  };
  const mint = async (email: string, now?: Date) =>
    (
      await createApiToken({
        db: s.db,
        actor: { type: "system", id: "test" },
        correlationId: "cor_http_roles",
        email,
        name: "http matrix",
        ttlDays: 1,
        ...(now ? { now } : {}),
      })
    ).token;
  for (const who of [...everyone, "outsider"] as const) tokens[who] = await mint(f.principals[who].email);
  tokens.expired_token = await mint(f.principals.admin.email, new Date(Date.now() - 3 * 86_400_000));
}, 120_000);

afterAll(async () => {
  await s?.close();
});

function tokenOf(who: Who): string | null {
  if (who === "signed_out") return null;
  if (who === "unknown_token") return `vt_${"A".repeat(43)}`;
  return tokens[who];
}

/** One request through the HTTP façade, authenticated the way app/api/v1 does it. */
async function send(method: string, path: string, who: Who, request: Request): Promise<number> {
  return (await exchange(method, path, who, request)).status;
}

/** The status and body of one request through the HTTP façade, authenticated as app/api/v1 does it. */
async function exchange(
  method: string,
  path: string,
  who: Who,
  request: Request,
): Promise<{ status: number; body: string }> {
  const token = tokenOf(who);
  const principal = token ? await authenticateApiToken({ db: s.db, token }) : null;
  const ctx: TrpcContext = {
    db: s.db,
    log,
    principal,
    credentialsRejected: token !== null && principal === null,
    correlationId: "cor_http_roles",
  };
  const concrete = path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(request.params?.[name] ?? ""),
  );
  const query = request.query ? `?${new URLSearchParams(request.query)}` : "";
  const init: RequestInit = { method };
  if (request.body !== undefined) init.body = JSON.stringify(request.body);
  const response = await handleHttpApi(
    new Request(`http://test/api/v1${concrete}${query}`, init),
    concrete,
    ctx,
  );
  return { status: response.status, body: await response.text() };
}

describe("role x route matrix (HTTP API)", () => {
  const table = httpRoutes.map((route) => `${route.method} ${route.path}`);

  it("has an entry for every route of the route table, and none for a route that is gone", () => {
    expect(table.filter((key) => !(key in routes))).toEqual([]);
    expect(Object.keys(routes).filter((key) => !table.includes(key))).toEqual([]);
  });

  for (const route of httpRoutes) {
    const key = `${route.method} ${route.path}`;
    it(`${key}: allowed roles succeed, others are refused, no token is 401, no tenant leaks`, async () => {
      const entry = routes[key];
      if (!entry)
        throw new Error(`${key} has no entry in this matrix: add who may call it and a valid request`);
      try {
        for (const role of everyone) {
          const expected =
            entry.allowed === "signed_in" || entry.allowed.includes(role) ? route.successStatus : 403;
          const status = await send(route.method, route.path, role, entry.request(f, role));
          expect(`${role}: ${status}`).toBe(`${role}: ${expected}`);
        }
        for (const who of ["signed_out", "unknown_token", "expired_token"] as const) {
          expect(`${who}: ${await send(route.method, route.path, who, entry.request(f, who))}`).toBe(
            `${who}: 401`,
          );
        }
        const outsider = entry.allowed === "signed_in" ? route.successStatus : (entry.outsider ?? 404);
        expect(
          `outsider: ${await send(route.method, route.path, "outsider", entry.request(f, "outsider"))}`,
        ).toBe(`outsider: ${outsider}`);
        if (entry.crossTenant) {
          const { status, body } = await exchange(
            route.method,
            route.path,
            "outsider",
            entry.crossTenant.request(f),
          );
          expect(`outsider in own portfolio with our id: ${status}`).toBe(
            `outsider in own portfolio with our id: ${entry.crossTenant.status}`,
          );
          if (entry.crossTenant.answersOnlyTheirs) {
            // Answered for their own portfolio: nothing of ours may be in it (beyond the echo of the
            // venture id they asked about).
            const answer = body.replaceAll(`"ventureId":"${f.ventureId}"`, "");
            for (const ours of [f.ventureId, venturesName, f.portfolioId]) expect(answer).not.toContain(ours);
          }
        }
      } finally {
        await entry.after?.(f);
      }
    });
  }
});
