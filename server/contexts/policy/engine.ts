// The policy engine: one default-deny Cedar engine (@cedar-policy/cedar-wasm) for tool calls,
// money intents and publishing (COMPL-001, TREAS-002, AGENT-002).
//
// A policy set is Cedar text. It is compiled once per (scope, version hash): parsed, split into
// policies named by their @id annotations, validated in strict mode against the scope's schema
// together with the guardrails, and pre-parsed into the wasm module's cache. A decision then costs
// one stateful authorization call on the pre-parsed set (ADR 0003).
//
// Semantics: no permit → deny; any forbid → deny; and, unlike Cedar's own behaviour of skipping a
// policy whose condition errors, any evaluation error → deny. This engine fails closed.
import { createHash } from "node:crypto";
import {
  type AuthorizationAnswer,
  checkParsePolicySet,
  type DetailedError,
  type EntityJson,
  type PolicyJson,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  preparseSchema,
  schemaToJson,
  statefulIsAuthorized,
  validate,
} from "@cedar-policy/cedar-wasm/nodejs";
import { invariant } from "@/server/shared/errors";
import type { PolicyScope } from "@/server/shared/events/catalog/policy";
import { guardrailIdPrefix, guardrailText } from "./guardrails";
import { cedarSchemaText, type PolicyAction, schemaName, scopeActions } from "./schema";

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

export type EntityRef = { readonly type: string; readonly id: string };

/** A Cedar value as the wasm module takes it: Longs are JS numbers (see toCedarLong). */
export type CedarValue =
  | boolean
  | number
  | string
  | readonly CedarValue[]
  | { readonly __entity: EntityRef }
  | { readonly [key: string]: CedarValue };

export type CedarRecord = { readonly [key: string]: CedarValue };

export type CedarEntity = {
  readonly uid: EntityRef;
  readonly attrs: CedarRecord;
  readonly parents: readonly EntityRef[];
};

/** A problem in a policy text, positioned so the UI can show it inline (1-based line/column). */
export type PolicyProblem = {
  severity: "error" | "warning";
  message: string;
  policyId: string | null;
  line: number | null;
  column: number | null;
};

export type PolicyInfo = {
  readonly id: string;
  readonly effect: "permit" | "forbid";
  /** The @reason annotation, shown to people when this policy determines a decision. */
  readonly reason: string | null;
  readonly guardrail: boolean;
};

export type CompiledPolicySet = {
  readonly scope: PolicyScope;
  /** SHA-256 of the text, or "none" for the deny-everything set used when no version is active. */
  readonly versionHash: string;
  /** The @id of every published policy, in text order (guardrails not included). */
  readonly policyIds: readonly string[];
  /** Every policy that can determine a decision, guardrails first. */
  readonly policies: ReadonlyMap<string, PolicyInfo>;
  /**
   * Set when the stored text can no longer be used (it no longer compiles against the schema, or
   * its hash does not match): every decision is then deny, with this as the error.
   */
  readonly defect: string | null;
  /** Policy id → Cedar text of that policy; kept to pre-parse the set again after eviction. */
  readonly sources: Readonly<Record<string, string>>;
};

export type CompileResult =
  | { ok: true; policySet: CompiledPolicySet; warnings: PolicyProblem[] }
  | { ok: false; problems: PolicyProblem[] };

export type DecisionRequest = {
  policy: CompiledPolicySet;
  principal: EntityRef;
  action: PolicyAction;
  resource: EntityRef;
  context: CedarRecord;
  /** Every entity the policies may read, principal and resource included; actions come from the schema. */
  entities: readonly CedarEntity[];
};

export type PolicyDecision = {
  decision: "allow" | "deny";
  determiningPolicies: string[];
  reasons: string[];
  errors: string[];
  policyVersion: string;
};

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** Policy texts above this size are refused: a set of ~100 policies is about 30 000 characters. */
export const policyTextLengthMax = 100_000;
export const policyCountMax = 500;
/** Problems reported for one text; past this the author has enough to fix first. */
const problemCountMax = 50;
/** Compiled sets kept pre-parsed in this process. Each version a process decides with is one entry. */
const compiledSetsMax = 64;

const policyIdPattern = /^[a-z][a-z0-9_]*(?:[.-][a-z0-9_]+)*$/;
const policyIdLengthMax = 100;

// ---------------------------------------------------------------------------------------------
// Long conversion
// ---------------------------------------------------------------------------------------------

/**
 * Converts a bigint (minor units, counts) to a Cedar Long. Cedar Longs are 64-bit, but the wasm
 * bridge carries JS numbers and refuses BigInt, and a JS number is exact only up to 2^53 − 1.
 * Rather than let a larger value round, it is refused: the caller's decision becomes deny.
 * 2^53 − 1 minor units is about 90 trillion dollars, far past any limit a policy sets.
 */
export function toCedarLong(value: bigint, name: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${name} ${value} is outside the exactly representable range ±(2^53 − 1)`);
  }
  const converted = Number(value);
  invariant(BigInt(converted) === value, `${name} converts to a Cedar Long exactly`);
  return converted;
}

// ---------------------------------------------------------------------------------------------
// Source positions
// ---------------------------------------------------------------------------------------------

/** Cedar reports UTF-8 byte offsets; people and editors count lines and characters. */
function positionOf(text: string, byteOffset: number): { line: number; column: number } {
  const prefix = Buffer.from(text, "utf8").subarray(0, Math.max(0, byteOffset)).toString("utf8");
  const lineStart = prefix.lastIndexOf("\n") + 1;
  return { line: prefix.split("\n").length, column: prefix.length - lineStart + 1 };
}

function problemsFromError(
  text: string,
  error: DetailedError,
  options: { severity: PolicyProblem["severity"]; policyId: string | null; baseByteOffset: number },
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const location = error.sourceLocations?.[0];
  const detail = [location?.label, error.help].filter((part): part is string => Boolean(part)).join("; ");
  const position = location ? positionOf(text, options.baseByteOffset + location.start) : null;
  problems.push({
    severity: options.severity,
    message: detail ? `${error.message}: ${detail}` : error.message,
    policyId: options.policyId,
    line: position?.line ?? null,
    column: position?.column ?? null,
  });
  // The parser puts the precise cause (e.g. "unexpected token `}`") in related errors.
  for (const related of error.related ?? []) problems.push(...problemsFromError(text, related, options));
  return problems;
}

function formatCedarError(error: DetailedError): string {
  const related = (error.related ?? []).map(formatCedarError);
  return [error.help ? `${error.message} (${error.help})` : error.message, ...related].join("; ");
}

/**
 * The validator reports a policy that applies to several actions once per action ("... in context
 * for Action::\"spend\" not found", then for each spend action); authors need it once.
 */
function dedupeAndCap(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  const out: PolicyProblem[] = [];
  for (const problem of problems) {
    const message = problem.message.replace(/ for Action::"[^"]*"/g, "");
    const key = `${problem.policyId}:${problem.line}:${problem.column}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...problem, message });
    if (out.length >= problemCountMax) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------

export function versionHashOf(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

type ParsedPolicy = PolicyInfo & { source: string; byteOffset: number };

/**
 * Puts the policies of a text back in text order, each with its offset. policySetTextToParts
 * returns verbatim slices of the text sorted by Cedar's generated ids as strings ("policy0",
 * "policy1", "policy10", "policy11", "policy2", …), so that order is undone first; each slice is
 * then found after the previous one. Should a future Cedar order them differently, the slices
 * are ordered by where they first occur instead.
 */
function locateParts(text: string, parts: readonly string[]): Array<{ source: string; charOffset: number }> {
  const prefix = "policy";
  const generatedIds = parts.map((_, i) => `${prefix}${i}`).sort();
  const inTextOrder = new Array<string>(parts.length);
  generatedIds.forEach((id, k) => {
    inTextOrder[Number(id.slice(prefix.length))] = parts[k]!;
  });
  const located: Array<{ source: string; charOffset: number }> = [];
  let cursor = 0;
  for (const source of inTextOrder) {
    const index = text.indexOf(source, cursor);
    if (index < 0) {
      return parts
        .map((part) => ({ source: part, charOffset: Math.max(0, text.indexOf(part)) }))
        .sort((a, b) => a.charOffset - b.charOffset);
    }
    located.push({ source, charOffset: index });
    cursor = index + source.length;
  }
  return located;
}

/** Splits a text into its policies, reading @id and @reason; problems are positioned in the text. */
function splitPolicies(
  text: string,
  options: { guardrails: boolean },
): { ok: true; policies: ParsedPolicy[] } | { ok: false; problems: PolicyProblem[] } {
  const parsed = checkParsePolicySet({ staticPolicies: text });
  if (parsed.type === "failure") {
    return {
      ok: false,
      problems: parsed.errors.flatMap((error) =>
        problemsFromError(text, error, { severity: "error", policyId: null, baseByteOffset: 0 }),
      ),
    };
  }
  const parts = policySetTextToParts(text);
  if (parts.type === "failure") {
    return {
      ok: false,
      problems: parts.errors.flatMap((error) =>
        problemsFromError(text, error, { severity: "error", policyId: null, baseByteOffset: 0 }),
      ),
    };
  }
  const problems: PolicyProblem[] = [];
  if (parts.policy_templates.length > 0) {
    problems.push({
      severity: "error",
      message: "Policy templates (?principal, ?resource) are not supported: write static policies",
      policyId: null,
      line: null,
      column: null,
    });
  }
  if (parts.policies.length > policyCountMax) {
    problems.push({
      severity: "error",
      message: `The text has ${parts.policies.length} policies; at most ${policyCountMax} are allowed`,
      policyId: null,
      line: null,
      column: null,
    });
  }
  const policies: ParsedPolicy[] = [];
  const seenIds = new Map<string, number>();
  for (const { source, charOffset } of locateParts(text, parts.policies)) {
    const byteOffset = Buffer.byteLength(text.slice(0, charOffset), "utf8");
    const at = positionOf(text, byteOffset);
    const json = policyToJson(source);
    if (json.type === "failure") {
      problems.push(
        ...json.errors.flatMap((error) =>
          problemsFromError(text, error, { severity: "error", policyId: null, baseByteOffset: byteOffset }),
        ),
      );
      continue;
    }
    const annotations = json.json.annotations ?? {};
    const id = annotations.id;
    const problemAt = (message: string, policyId: string | null = null) =>
      problems.push({ severity: "error", message, policyId, line: at.line, column: at.column });
    if (typeof id !== "string" || id.length === 0) {
      problemAt('Every policy needs a stable, meaningful id: add @id("scope.rule-name") before it');
      continue;
    }
    if (id.length > policyIdLengthMax || !policyIdPattern.test(id)) {
      problemAt(
        `Policy id "${id}" must be lower-case words separated by "." or "-" (e.g. "treasury.per-transaction-limit")`,
        id,
      );
      continue;
    }
    if (!options.guardrails && id.startsWith(guardrailIdPrefix)) {
      problemAt(
        `Policy id "${id}" is reserved: ids starting with "${guardrailIdPrefix}" name built-in guardrails`,
        id,
      );
      continue;
    }
    const firstLine = seenIds.get(id);
    if (firstLine !== undefined) {
      problemAt(`Policy id "${id}" is already used by the policy at line ${firstLine}`, id);
      continue;
    }
    seenIds.set(id, at.line);
    const reason = annotations.reason;
    policies.push({
      id,
      effect: json.json.effect,
      reason: typeof reason === "string" && reason.length > 0 ? reason : null,
      guardrail: options.guardrails,
      source,
      byteOffset,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, policies };
}

const schemasReady = new Set<PolicyScope>();

function ensureSchema(scope: PolicyScope): void {
  if (schemasReady.has(scope)) return;
  const answer = preparseSchema(schemaName(scope), cedarSchemaText(scope));
  invariant(answer.type === "success", `the ${scope} Cedar schema parses: ${JSON.stringify(answer)}`);
  schemasReady.add(scope);
}

const guardrailCache = new Map<PolicyScope, ParsedPolicy[]>();

function guardrailPolicies(scope: PolicyScope): ParsedPolicy[] {
  const cached = guardrailCache.get(scope);
  if (cached) return cached;
  const split = splitPolicies(guardrailText(scope), { guardrails: true });
  invariant(split.ok, `the ${scope} guardrails parse: ${JSON.stringify(split.ok ? [] : split.problems)}`);
  guardrailCache.set(scope, split.policies);
  return split.policies;
}

function preparsedId(policy: Pick<CompiledPolicySet, "scope" | "versionHash">): string {
  return `${policy.scope}:${policy.versionHash}`;
}

/**
 * Pre-parsed sets, least recently used first. The wasm module keeps pre-parsed sets until they
 * are replaced, so an evicted entry is overwritten with an empty set (which denies everything)
 * to free its memory; decide() pre-parses a set again if it meets one that was evicted.
 */
const registered = new Map<string, CompiledPolicySet>();
/** Compile results by (scope, hash), so the same text is parsed and validated once per process. */
const compiled = new Map<string, CompileResult & { ok: true }>();

/** The set touched last: deciding with it again needs no LRU bookkeeping. */
let lastRegistered: CompiledPolicySet | null = null;

function register(policy: CompiledPolicySet): void {
  if (policy === lastRegistered) return;
  const id = preparsedId(policy);
  if (registered.has(id)) {
    registered.delete(id);
    registered.set(id, policy);
    lastRegistered = policy;
    return;
  }
  ensureSchema(policy.scope);
  const answer = preparsePolicySet(id, { staticPolicies: { ...policy.sources } });
  invariant(answer.type === "success", `a validated policy set pre-parses: ${JSON.stringify(answer)}`);
  registered.set(id, policy);
  while (registered.size > compiledSetsMax) {
    const oldest = registered.keys().next().value as string;
    registered.delete(oldest);
    compiled.delete(oldest);
    preparsePolicySet(oldest, { staticPolicies: {} });
  }
  lastRegistered = policy;
}

function buildSet(
  scope: PolicyScope,
  versionHash: string,
  published: ParsedPolicy[],
  defect: string | null,
): CompiledPolicySet {
  const all = [...guardrailPolicies(scope), ...published];
  const policies = new Map<string, PolicyInfo>();
  const sources: Record<string, string> = {};
  for (const policy of all) {
    policies.set(policy.id, {
      id: policy.id,
      effect: policy.effect,
      reason: policy.reason,
      guardrail: policy.guardrail,
    });
    sources[policy.id] = policy.source;
  }
  return { scope, versionHash, policyIds: published.map((p) => p.id), policies, defect, sources };
}

/**
 * Compiles a policy text for a scope: parse, name, validate (strict, with the guardrails), and
 * pre-parse. Cached per (scope, SHA-256 of the text). Problems carry line and column.
 */
export function compilePolicySet(scope: PolicyScope, text: string): CompileResult {
  const versionHash = versionHashOf(text);
  const key = `${scope}:${versionHash}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  if (text.length > policyTextLengthMax) {
    return {
      ok: false,
      problems: [
        {
          severity: "error",
          message: `The text has ${text.length} characters; at most ${policyTextLengthMax} are allowed`,
          policyId: null,
          line: null,
          column: null,
        },
      ],
    };
  }
  const split = splitPolicies(text, { guardrails: false });
  if (!split.ok) return { ok: false, problems: dedupeAndCap(split.problems) };

  const set = buildSet(scope, versionHash, split.policies, null);
  const answer = validate({
    schema: cedarSchemaText(scope),
    policies: { staticPolicies: { ...set.sources } },
    validationSettings: { mode: "strict" },
  });
  invariant(answer.type === "success", `the ${scope} schema is valid: ${JSON.stringify(answer)}`);
  const offsets = new Map(split.policies.map((p) => [p.id, p.byteOffset]));
  const positioned =
    (severity: PolicyProblem["severity"]) => (item: { policyId: string; error: DetailedError }) => {
      const base = offsets.get(item.policyId);
      invariant(base !== undefined, `guardrail ${item.policyId} validates against the ${scope} schema`);
      return problemsFromError(text, item.error, { severity, policyId: item.policyId, baseByteOffset: base });
    };
  const errors = answer.validationErrors.flatMap(positioned("error"));
  if (errors.length > 0) return { ok: false, problems: dedupeAndCap(errors) };
  const warnings = dedupeAndCap([
    ...answer.validationWarnings.flatMap(positioned("warning")),
    ...answer.otherWarnings.flatMap((error) =>
      problemsFromError(text, error, { severity: "warning", policyId: null, baseByteOffset: 0 }),
    ),
  ]);

  register(set);
  const result = { ok: true as const, policySet: set, warnings };
  compiled.set(key, result);
  return result;
}

/** The compiled set for (scope, hash) if this process has compiled it and still holds it. */
export function cachedPolicySet(scope: PolicyScope, versionHash: string): CompiledPolicySet | undefined {
  return compiled.get(`${scope}:${versionHash}`)?.policySet;
}

const emptySets = new Map<PolicyScope, CompiledPolicySet>();

/** The set used when no version is active: guardrails only, so every decision is deny. */
export function emptyPolicySet(scope: PolicyScope): CompiledPolicySet {
  const set = emptySets.get(scope) ?? buildSet(scope, "none", [], null);
  emptySets.set(scope, set);
  register(set);
  return set;
}

/** A set that decides nothing but deny, naming why the stored version cannot be used. */
export function defectivePolicySet(
  scope: PolicyScope,
  versionHash: string,
  defect: string,
): CompiledPolicySet {
  return buildSet(scope, versionHash, [], defect);
}

// ---------------------------------------------------------------------------------------------
// Request plans: what is worked out once per version so that each decision asks Cedar less
// ---------------------------------------------------------------------------------------------
//
// cedar-wasm spends ~2 µs per policy of the pre-parsed set on every call — whether or not the
// policy's scope matches the request, and whatever its condition — on top of ~60–90 µs per call
// to read the request and its entities (measured; ADR 0018). Two things cut that cost without
// changing any decision:
// - Pruning. A policy whose scope cannot match the request (`action == X` for another action,
//   `principal is Agent` for a user, `resource == Venture::"a"` for venture b) is never satisfied and
//   its condition is never evaluated, so it can neither determine the decision nor raise an error:
//   leaving it out of the set gives Cedar's exact answer. The scope test here is conservative — a
//   constraint it does not recognise never prunes. A pruned set costs a pre-parse (~0.2 ms per
//   policy), so it is built only once the time spent evaluating the policies it leaves out has
//   exceeded that cost (ski rental: never more than twice the better choice made in hindsight).
// - One call for several actions. A money intent is decided for three actions. Each policy is
//   copied once per action its action scope covers, as a forbid with the same principal and resource
//   scope and the condition with `action` replaced by that action's literal; actions whose copies
//   come out identical (a condition that does not read `action`, the usual case) share one copy,
//   which stands for each of them. With only forbids, Cedar reports every satisfied copy, so one
//   call yields, per action, exactly which policies were satisfied, and the decision per action
//   follows from Cedar's rules (any satisfied forbid → deny naming all of them; else any satisfied
//   permit → allow naming all of them; else default deny).
//   Errors are the exception: when the combined call reports any error, or cannot be made, the
//   actions are decided one call each, so the errors reported are Cedar's own for each action.
// - Validation once per request shape (ADR 0021). About a third of a combined call is Cedar checking
//   the request and its entities against the schema. What that check looks at is the request's
//   shape: the principal's and resource's types, each entity's type, attribute names and value
//   types and its parents' types, and the context's attribute names and value types — never a
//   string's or a number's value (the schemas have no enumerated entity types and no extension
//   types). So the first request of each shape is asked with the schema, as every request used to
//   be; once Cedar has accepted a shape, later requests of exactly that shape are asked without it,
//   with the scope's action entities supplied when a condition compares actions. A request of a
//   new shape — a missing attribute, a number where a string belongs — is checked, and refused.

/**
 * Request shapes Cedar has accepted against the schema, by scope and action (see above). Shapes
 * come from a handful of request builders, so the bound is never reached in practice; past it the
 * set starts over and shapes are checked again.
 */
const validatedShapes = new Set<string>();
const validatedShapesMax = 1_000;

/** A value's shape: its type, recursively; for an entity reference, the entity type. */
function shapeOf(value: CedarValue): string {
  switch (typeof value) {
    case "boolean":
      return "B";
    case "number":
      return "L";
    case "string":
      return "S";
  }
  if (Array.isArray(value)) {
    const items = new Set<string>();
    for (const item of value as readonly CedarValue[]) items.add(shapeOf(item));
    return `[${[...items].sort().join("|")}]`;
  }
  const record = value as { readonly [key: string]: CedarValue };
  const keys = Object.keys(record).sort();
  let out = "{";
  for (const key of keys) out += `${JSON.stringify(key)}:${shapeOf(record[key]!)},`;
  return `${out}}`;
}

/** What Cedar's schema check of a request depends on; see "Validation once per request shape". */
function requestShape(
  scope: PolicyScope,
  action: string,
  request: Omit<DecisionRequest, "action" | "policy">,
) {
  const entities = request.entities
    .map((e) => `${e.uid.type}${shapeOf(e.attrs)}<${e.parents.map((p) => p.type).sort()}>`)
    .sort();
  return [
    scope,
    action,
    request.principal.type,
    request.resource.type,
    shapeOf(request.context),
    ...entities,
  ].join("\u0000");
}

/** The scope's actions as entities, each with its ancestors, for a call made without the schema. */
const actionEntitiesByScope = new Map<PolicyScope, CedarEntity[]>();

function actionEntities(scope: PolicyScope): CedarEntity[] {
  const cached = actionEntitiesByScope.get(scope);
  if (cached) return cached;
  const entities = [...actionAncestors(scope)].map(([key, ancestors]) => ({
    uid: uidOfKey(key),
    attrs: {},
    parents: [...ancestors].map(uidOfKey),
  }));
  actionEntitiesByScope.set(scope, entities);
  return entities;
}

/** Pre-parse cost per policy and evaluation cost per policy and call, in µs (see above). */
export const planCosts = { preparseMicrosPerPolicy: 200, evaluateMicrosPerPolicy: 2, callMicros: 70 };
/** Pruned and combined sets kept pre-parsed in this process, across all versions. */
const plannedSetsMax = 256;

/** A scope constraint as a test on a request entity: its uid, its type and its ancestors. */
type ScopeTest =
  | { kind: "any" }
  | { kind: "eq"; uid: string }
  | { kind: "in"; uids: string[] }
  | { kind: "is"; type: string; inUid: string | null };

type PlannedPolicy = {
  id: string;
  effect: "permit" | "forbid";
  principal: ScopeTest;
  action: ScopeTest;
  resource: ScopeTest;
};

/** A family of policies pre-parsed together: a version's own, or its per-action copies. */
type Family = {
  name: string;
  sources: Record<string, string | PolicyJson>;
  members: Array<{ id: string; principal: ScopeTest; resource: ScopeTest; action: ScopeTest | null }>;
  /** Members with a principal, resource or action constraint: the only ones pruning looks at. */
  constrained: number[];
  /** Whether some constraint is `in` an entity, so the request's ancestors are needed. */
  needsAncestors: boolean;
  /** Per action: whether each member's action constraint covers it (the schema's hierarchy). */
  actionMatch: Map<string, boolean[] | null>;
  /** Pruned sets by the members they leave out; `id` is null until built (or after eviction). */
  subsets: Map<string, { hits: number; pruned: number[]; id: string | null }>;
  /** The whole family is pre-parsed under this id (the version's own set is registered instead). */
  preparsed: string | null;
};

type Plan = {
  policies: PlannedPolicy[];
  rank: Map<string, number>;
  own: Family;
  /** Per-action copies for one call over several actions; built on demand, null when not possible. */
  /** Per combined set: for each copy, the actions (indexes into the call's) and the policy it stands for. */
  combined: Map<
    string,
    { family: Family | null; hits: number; actionsOf: number[][]; policyOf: number[]; readsActions: boolean }
  >;
};

const plans = new WeakMap<CompiledPolicySet, Plan>();

function familyOf(name: string, sources: Family["sources"], members: Family["members"]): Family {
  const constrained: number[] = [];
  let needsAncestors = false;
  members.forEach((member, i) => {
    const tests = [member.principal, member.resource, ...(member.action ? [member.action] : [])];
    if (tests.some((t) => t.kind !== "any")) constrained.push(i);
    if (tests.some((t) => t.kind === "in" || (t.kind === "is" && t.inUid !== null))) needsAncestors = true;
  });
  return {
    name,
    sources,
    members,
    constrained,
    needsAncestors,
    actionMatch: new Map(),
    subsets: new Map(),
    preparsed: null,
  };
}
/** Pre-parsed pruned and combined sets, least recently used first, with what to reset on eviction. */
const plannedSets = new Map<string, () => void>();
let plannedSetCount = 0;

const uidKey = (type: string, id: string) => `${type}\u0000${id}`;
const uidOfKey = (key: string): EntityRef => {
  const [type, id] = key.split("\u0000") as [string, string];
  return { type, id };
};

function entityKeyOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const inner = (value as { __entity?: unknown }).__entity ?? value;
  const { type, id } = inner as { type?: unknown; id?: unknown };
  return typeof type === "string" && typeof id === "string" ? uidKey(type, id) : null;
}

const anyScope: ScopeTest = { kind: "any" };

function scopeTestOf(constraint: unknown): ScopeTest {
  const c = constraint as {
    op?: unknown;
    entity?: unknown;
    entities?: unknown;
    entity_type?: unknown;
    in?: unknown;
  };
  switch (c?.op) {
    case "==": {
      const uid = entityKeyOf(c.entity);
      return uid === null ? anyScope : { kind: "eq", uid };
    }
    case "in": {
      const uids = Array.isArray(c.entities) ? c.entities.map(entityKeyOf) : [entityKeyOf(c.entity)];
      return uids.some((u) => u === null) ? anyScope : { kind: "in", uids: uids as string[] };
    }
    case "is": {
      if (typeof c.entity_type !== "string") return anyScope;
      if (c.in === undefined) return { kind: "is", type: c.entity_type, inUid: null };
      const inUid = entityKeyOf((c.in as { entity?: unknown })?.entity);
      return inUid === null ? anyScope : { kind: "is", type: c.entity_type, inUid };
    }
    default:
      // "All", and anything this engine does not recognise: never pruned.
      return anyScope;
  }
}

function scopeMatches(test: ScopeTest, uid: string, type: string, ancestors: ReadonlySet<string>): boolean {
  switch (test.kind) {
    case "any":
      return true;
    case "eq":
      return test.uid === uid;
    case "in":
      return test.uids.some((u) => u === uid || ancestors.has(u));
    case "is":
      return test.type === type && (test.inUid === null || test.inUid === uid || ancestors.has(test.inUid));
  }
}

const actionAncestorsByScope = new Map<PolicyScope, Map<string, Set<string>>>();

/** Each action's ancestors in the scope's schema (its memberOf, transitively), as uid keys. */
function actionAncestors(scope: PolicyScope): Map<string, Set<string>> {
  const cached = actionAncestorsByScope.get(scope);
  if (cached) return cached;
  const answer = schemaToJson(cedarSchemaText(scope));
  invariant(answer.type === "success", `the ${scope} Cedar schema converts to JSON`);
  const actions = answer.json[""]?.actions ?? {};
  const parents = new Map<string, string[]>();
  for (const [name, action] of Object.entries(actions)) {
    const memberOf = (action as { memberOf?: Array<{ id: string; type?: string }> }).memberOf ?? [];
    parents.set(
      uidKey("Action", name),
      memberOf.map((m) => uidKey(m.type ?? "Action", m.id)),
    );
  }
  const ancestors = new Map<string, Set<string>>();
  for (const key of parents.keys()) ancestors.set(key, closure(key, parents));
  actionAncestorsByScope.set(scope, ancestors);
  return ancestors;
}

function closure(start: string, parents: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [...(parents.get(start) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(parents.get(next) ?? []));
  }
  return seen;
}

/** Cedar's view of an entity's ancestors: the transitive closure of the parents supplied. */
function ancestorsIn(entities: readonly CedarEntity[]): (uid: EntityRef) => Set<string> {
  const parents = new Map<string, string[]>();
  for (const entity of entities) {
    parents.set(
      uidKey(entity.uid.type, entity.uid.id),
      entity.parents.map((p) => uidKey(p.type, p.id)),
    );
  }
  return (uid) => closure(uidKey(uid.type, uid.id), parents);
}

function planOf(policy: CompiledPolicySet): Plan {
  const cached = plans.get(policy);
  if (cached) return cached;
  const policies: PlannedPolicy[] = [];
  for (const [id, info] of policy.policies) {
    const json = policyToJson(policy.sources[id]!);
    invariant(json.type === "success", `compiled policy ${id} converts to JSON`);
    policies.push({
      id,
      effect: info.effect,
      principal: scopeTestOf(json.json.principal),
      action: scopeTestOf(json.json.action),
      resource: scopeTestOf(json.json.resource),
    });
  }
  const plan: Plan = {
    policies,
    rank: new Map(policies.map((p, i) => [p.id, i])),
    own: familyOf(preparsedId(policy), policy.sources, policies),
    combined: new Map(),
  };
  plans.set(policy, plan);
  return plan;
}

function touchPlannedSet(id: string): void {
  const reset = plannedSets.get(id);
  if (!reset) return;
  plannedSets.delete(id);
  plannedSets.set(id, reset);
}

function preparsePlanned(sources: Record<string, string | PolicyJson>, reset: () => void): string {
  plannedSetCount += 1;
  const id = `planned:${plannedSetCount}`;
  const answer = preparsePolicySet(id, { staticPolicies: sources });
  invariant(answer.type === "success", `a planned policy set pre-parses: ${JSON.stringify(answer)}`);
  plannedSets.set(id, reset);
  while (plannedSets.size > plannedSetsMax) {
    const [oldest, resetOldest] = plannedSets.entries().next().value as [string, () => void];
    plannedSets.delete(oldest);
    resetOldest();
    preparsePolicySet(oldest, { staticPolicies: {} });
  }
  return id;
}

/** Whether each member's action constraint covers `action`; null for an action not in the schema. */
function actionMatchOf(policy: CompiledPolicySet, family: Family, action: string): boolean[] | null {
  let match = family.actionMatch.get(action);
  if (match !== undefined) return match;
  const actionUid = uidKey("Action", action);
  const up = actionAncestors(policy.scope).get(actionUid);
  // An action missing from the schema's hierarchy is not pruned on (the request fails anyway).
  match = up
    ? family.members.map((m) => m.action === null || scopeMatches(m.action, actionUid, "Action", up))
    : null;
  family.actionMatch.set(action, match);
  return match;
}

/**
 * The pre-parsed set to ask for this request: the family pruned to the members whose scope can
 * match, once that pays (see above), else the whole family.
 */
function setFor(
  policy: CompiledPolicySet,
  family: Family,
  request: { principal: EntityRef; resource: EntityRef; entities: readonly CedarEntity[] },
  action: string | null,
): string {
  const actionMatch = action === null ? null : actionMatchOf(policy, family, action);
  const noAncestors = new Set<string>();
  const ancestorsOf = family.needsAncestors ? ancestorsIn(request.entities) : () => noAncestors;
  const principalUid = uidKey(request.principal.type, request.principal.id);
  const principalAncestors = ancestorsOf(request.principal);
  const resourceUid = uidKey(request.resource.type, request.resource.id);
  const resourceAncestors = ancestorsOf(request.resource);
  const pruned: number[] = [];
  for (const i of family.constrained) {
    const member = family.members[i]!;
    const matches =
      (actionMatch === null || actionMatch[i]!) &&
      scopeMatches(member.principal, principalUid, request.principal.type, principalAncestors) &&
      scopeMatches(member.resource, resourceUid, request.resource.type, resourceAncestors);
    if (!matches) pruned.push(i);
  }
  if (pruned.length === 0) return wholeFamily(policy, family);
  const key = `${action ?? ""}|${pruned.join(",")}`;
  let subset = family.subsets.get(key);
  if (!subset) {
    subset = { hits: 0, pruned, id: null };
    family.subsets.set(key, subset);
  }
  subset.hits += 1;
  if (subset.id !== null) {
    touchPlannedSet(subset.id);
    return subset.id;
  }
  const kept = family.members.length - pruned.length;
  const spentMicros = subset.hits * pruned.length * planCosts.evaluateMicrosPerPolicy;
  if (spentMicros < kept * planCosts.preparseMicrosPerPolicy) return wholeFamily(policy, family);
  const left = new Set(pruned);
  const sources: Record<string, string | PolicyJson> = {};
  family.members.forEach((member, i) => {
    if (!left.has(i)) sources[member.id] = family.sources[member.id]!;
  });
  const built = subset;
  built.id = preparsePlanned(sources, () => {
    built.id = null;
    built.hits = 0;
  });
  return built.id;
}

/** The whole family, pre-parsed: the version's own set is the registered one. */
function wholeFamily(policy: CompiledPolicySet, family: Family): string {
  if (family === planOf(policy).own) {
    register(policy);
    return preparsedId(policy);
  }
  if (family.preparsed === null) {
    family.preparsed = preparsePlanned(family.sources, () => {
      family.preparsed = null;
    });
  } else {
    touchPlannedSet(family.preparsed);
  }
  return family.preparsed;
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

/** Finds numbers that are not exact integers: Cedar has only Longs, and rounding must not decide. */
function inexactNumbers(value: CedarValue, path: string, out: string[]): void {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) out.push(`${path} is ${value}, not an integer within ±(2^53 − 1)`);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    (value as readonly CedarValue[]).forEach((item, i) => {
      inexactNumbers(item, `${path}[${i}]`, out);
    });
    return;
  }
  for (const key in value as CedarRecord) inexactNumbers((value as CedarRecord)[key]!, `${path}.${key}`, out);
}

function failClosed(policy: CompiledPolicySet, errors: string[]): PolicyDecision {
  return {
    decision: "deny",
    determiningPolicies: [],
    reasons: ["The request could not be evaluated against the policy, so it is denied (fail closed)"],
    errors,
    policyVersion: policy.versionHash,
  };
}

function reasonOf(policy: CompiledPolicySet, id: string): string {
  const info = policy.policies.get(id);
  if (info?.reason) return info.reason;
  return `${info?.effect === "permit" ? "Permitted" : "Forbidden"} by policy ${id}`;
}

/** The checks made before Cedar is asked; a decision (deny) when one fails, else null. */
function precheck(request: DecisionRequest): PolicyDecision | null {
  const { policy, action } = request;
  if (policy.defect) return failClosed(policy, [policy.defect]);
  if (!(scopeActions[policy.scope] as readonly string[]).includes(action)) {
    return failClosed(policy, [`Action ${action} is not decided by a ${policy.scope} policy set`]);
  }
  const inexact: string[] = [];
  inexactNumbers(request.context, "context", inexact);
  for (const entity of request.entities) {
    inexactNumbers(entity.attrs, `${entity.uid.type}::"${entity.uid.id}"`, inexact);
  }
  return inexact.length > 0 ? failClosed(policy, inexact) : null;
}

/**
 * One Cedar call; a thrown conversion error becomes a failure answer. `unchecked`: the request's
 * shape was accepted before, so it is asked without the schema (see "Validation once per request
 * shape"), with these action entities.
 */
function authorize(
  request: Omit<DecisionRequest, "policy"> & { policy: CompiledPolicySet },
  preparsedPolicySetId: string,
  unchecked: { actionEntities: readonly CedarEntity[] } | null = null,
): AuthorizationAnswer | { type: "thrown"; error: unknown } {
  try {
    return statefulIsAuthorized({
      principal: request.principal,
      action: { type: "Action", id: request.action },
      resource: request.resource,
      context: request.context as Record<string, never>,
      entities: (unchecked && unchecked.actionEntities.length > 0
        ? [...request.entities, ...unchecked.actionEntities]
        : request.entities) as EntityJson[],
      preparsedPolicySetId,
      // Unless its shape was accepted before, the request and its entities are checked against the
      // schema: a missing or mistyped attribute is an error (so deny), never a silently false
      // condition.
      ...(unchecked ? {} : { preparsedSchemaName: schemaName(request.policy.scope), validateRequest: true }),
    });
  } catch (error) {
    return { type: "thrown", error };
  }
}

/** Cedar's answer for one action, given which policies were satisfied and that none erred. */
function decisionFrom(
  policy: CompiledPolicySet,
  plan: Plan,
  action: PolicyAction,
  cedarDecision: "allow" | "deny",
  reason: readonly string[],
): PolicyDecision {
  const determiningPolicies = [...reason].sort((a, b) => plan.rank.get(a)! - plan.rank.get(b)!);
  if (cedarDecision === "deny" && determiningPolicies.length === 0) {
    return {
      decision: "deny",
      determiningPolicies: [],
      reasons: [`No policy permits ${action} here (default deny)`],
      errors: [],
      policyVersion: policy.versionHash,
    };
  }
  return {
    decision: cedarDecision,
    determiningPolicies,
    reasons: determiningPolicies.map((id) => reasonOf(policy, id)),
    errors: [],
    policyVersion: policy.versionHash,
  };
}

function decideWith(request: DecisionRequest, preparsedPolicySetId: () => string): PolicyDecision {
  const refused = precheck(request);
  if (refused) return refused;
  const { policy } = request;
  let setId: string;
  try {
    setId = preparsedPolicySetId();
  } catch (error) {
    return failClosed(policy, [`The policy set could not be prepared: ${String(error)}`]);
  }
  const answer = authorize(request, setId);
  // The wasm module throws on values it cannot convert (a bigint, a function): fail closed.
  if (answer.type === "thrown")
    return failClosed(policy, [`Cedar could not read the request: ${String(answer.error)}`]);
  if (answer.type === "failure") return failClosed(policy, answer.errors.map(formatCedarError));
  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0) {
    // Cedar skips a policy whose condition fails to evaluate and decides with the others, so a
    // forbid that errors would let a permit through. Safety first: any error denies. Errors are
    // listed in policy order (Cedar's own order depends on how its set is stored).
    const rank = planOf(policy).rank;
    return failClosed(
      policy,
      [...diagnostics.errors]
        .sort((a, b) => (rank.get(a.policyId) ?? 0) - (rank.get(b.policyId) ?? 0))
        .map((e) => `policy ${e.policyId}: ${formatCedarError(e.error)}`),
    );
  }
  return decisionFrom(policy, planOf(policy), request.action, decision, diagnostics.reason);
}

/**
 * Decides one request. Synchronous and pure apart from the wasm cache: the same request on the same
 * compiled set always gives the same decision. Cedar is asked with the version's policies pruned
 * to those whose scope can match (see "Request plans"), which never changes the answer.
 */
export function decide(request: DecisionRequest): PolicyDecision {
  return decideWith(request, () =>
    setFor(request.policy, planOf(request.policy).own, request, request.action),
  );
}

/**
 * The reference decision: Cedar asked with every policy of the version, no pruning. What decide()
 * and decideActions() must always equal; the tests and the benchmark compare against it.
 */
export function decideWithEveryPolicy(request: DecisionRequest): PolicyDecision {
  return decideWith(request, () => {
    register(request.policy);
    return preparsedId(request.policy);
  });
}

/** Replaces the variable `action` by an action's literal in a policy's conditions (EST JSON). */
function withActionLiteral(expr: unknown, action: string): unknown {
  const keys = typeof expr === "object" && expr !== null ? Object.keys(expr) : [];
  if (keys.length !== 1) throw new Error(`unexpected Cedar JSON expression ${JSON.stringify(expr)}`);
  const op = keys[0]!;
  const body = (expr as Record<string, unknown>)[op];
  switch (op) {
    case "Value":
    case "Slot":
      return expr;
    case "Var":
      return body === "action" ? { Value: { __entity: { type: "Action", id: action } } } : expr;
    case "Record":
      return {
        Record: Object.fromEntries(
          Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, withActionLiteral(v, action)]),
        ),
      };
    case "Set":
      return { Set: (body as unknown[]).map((item) => withActionLiteral(item, action)) };
    default: {
      // Extension function calls take a list of arguments; operators name their operands.
      if (Array.isArray(body)) return { [op]: body.map((item) => withActionLiteral(item, action)) };
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        out[k] = expressionFields.has(k) ? withActionLiteral(v, action) : v;
      }
      return { [op]: out };
    }
  }
}
const expressionFields = new Set(["left", "right", "arg", "if", "then", "else", "in"]);

/** A version's per-action copies for one call over `actions`, or null where that cannot be done. */
function combinedFor(policy: CompiledPolicySet, plan: Plan, actions: readonly PolicyAction[]) {
  const key = actions.join(",");
  const cached = plan.combined.get(key);
  if (cached) return cached;
  const entry = {
    family: null as Family | null,
    hits: 0,
    actionsOf: [] as number[][],
    policyOf: [] as number[],
    /** Some copy's condition compares actions, so a call without the schema needs the action entities. */
    readsActions: false,
  };
  plan.combined.set(key, entry);
  // One call validates the request once, for the first action: the actions must accept the same
  // principals, resources and context, or the combined call could accept what one action refuses.
  const schema = schemaToJson(cedarSchemaText(policy.scope));
  if (schema.type !== "success") return entry;
  const appliesTo = actions.map((a) => JSON.stringify(schema.json[""]?.actions?.[a]?.appliesTo ?? null));
  if (appliesTo.some((a) => a === "null" || a !== appliesTo[0])) return entry;
  const up = actionAncestors(policy.scope);
  const sources: Record<string, PolicyJson> = {};
  const members: Family["members"] = [];
  try {
    plan.policies.forEach((p, policyIndex) => {
      const json = policyToJson(policy.sources[p.id]!);
      invariant(json.type === "success", `compiled policy ${p.id} converts to JSON`);
      // This policy's copies by their conditions' text: identical copies are one.
      const copies = new Map<string, number>();
      actions.forEach((action, actionIndex) => {
        const actionUid = uidKey("Action", action);
        if (!scopeMatches(p.action, actionUid, "Action", up.get(actionUid) ?? new Set())) return;
        const conditions = json.json.conditions.map((clause) => ({
          ...clause,
          body: withActionLiteral(clause.body, action),
        })) as PolicyJson["conditions"];
        const text = JSON.stringify(conditions);
        if (text.includes('"Var":"action"')) throw new Error("action left in a condition");
        if (text.includes('"type":"Action"')) entry.readsActions = true;
        const same = copies.get(text);
        if (same !== undefined) {
          entry.actionsOf[same]!.push(actionIndex);
          return;
        }
        const id = `c${members.length}`;
        copies.set(text, members.length);
        sources[id] = {
          effect: "forbid",
          principal: json.json.principal,
          action: { op: "All" },
          resource: json.json.resource,
          conditions,
        };
        members.push({ id, principal: p.principal, resource: p.resource, action: null });
        entry.actionsOf.push([actionIndex]);
        entry.policyOf.push(policyIndex);
      });
    });
  } catch {
    // A policy this engine cannot copy safely: decide each action with its own call.
    return entry;
  }
  entry.family = familyOf(`${preparsedId(policy)}:${key}`, sources, members);
  return entry;
}

/**
 * Decides one request for several actions, e.g. a money intent's spend, spend_with_single_approval
 * and spend_without_approval: the same decisions, in the same order, as decide() for each action,
 * from one Cedar call where that pays (see "Request plans"), else one call per action.
 */
export function decideActions(
  request: Omit<DecisionRequest, "action">,
  actions: readonly PolicyAction[],
): PolicyDecision[] {
  const separately = () => actions.map((action) => decide({ ...request, action }));
  const first = actions[0];
  if (first === undefined) return [];
  if (actions.some((action) => precheck({ ...request, action }) !== null)) return separately();
  const { policy } = request;
  const plan = planOf(policy);
  const combined = combinedFor(policy, plan, actions);
  const family = combined.family;
  if (family === null) return separately();
  // The combined set is worth pre-parsing once the calls it saves have cost more than that.
  combined.hits += 1;
  const savedMicros = combined.hits * (actions.length - 1) * planCosts.callMicros;
  if (family.preparsed === null && savedMicros < family.members.length * planCosts.preparseMicrosPerPolicy) {
    return separately();
  }
  let setId: string;
  try {
    setId = setFor(policy, family, request, null);
  } catch {
    return separately();
  }
  const shape = requestShape(policy.scope, first, request);
  const unchecked = validatedShapes.has(shape)
    ? { actionEntities: combined.readsActions ? actionEntities(policy.scope) : [] }
    : null;
  const answer = authorize({ ...request, action: first }, setId, unchecked);
  if (answer.type !== "success" || answer.response.diagnostics.errors.length > 0) return separately();
  if (!unchecked) {
    if (validatedShapes.size >= validatedShapesMax) validatedShapes.clear();
    validatedShapes.add(shape);
  }
  const satisfied = actions.map(() => ({ permits: [] as string[], forbids: [] as string[] }));
  for (const id of answer.response.diagnostics.reason) {
    const index = Number(id.slice(1));
    const original = plan.policies[combined.policyOf[index]!]!;
    for (const actionIndex of combined.actionsOf[index]!) {
      const bucket = satisfied[actionIndex]!;
      (original.effect === "forbid" ? bucket.forbids : bucket.permits).push(original.id);
    }
  }
  return actions.map((action, i) => {
    const { permits, forbids } = satisfied[i]!;
    // Cedar's rule: any satisfied forbid denies (naming every one); else any permit allows.
    if (forbids.length > 0) return decisionFrom(policy, plan, action, "deny", forbids);
    if (permits.length > 0) return decisionFrom(policy, plan, action, "allow", permits);
    return decisionFrom(policy, plan, action, "deny", []);
  });
}
