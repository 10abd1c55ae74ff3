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
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  preparseSchema,
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

function register(policy: CompiledPolicySet): void {
  const id = preparsedId(policy);
  if (registered.has(id)) {
    registered.delete(id);
    registered.set(id, policy);
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
  for (const [key, item] of Object.entries(value as CedarRecord)) inexactNumbers(item, `${path}.${key}`, out);
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

/**
 * Decides one request. Synchronous and pure apart from the wasm cache: the same request on the same
 * compiled set always gives the same decision.
 */
export function decide(request: DecisionRequest): PolicyDecision {
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
  if (inexact.length > 0) return failClosed(policy, inexact);

  let answer: AuthorizationAnswer;
  try {
    register(policy);
    answer = statefulIsAuthorized({
      principal: request.principal,
      action: { type: "Action", id: action },
      resource: request.resource,
      context: request.context as Record<string, never>,
      entities: request.entities as EntityJson[],
      preparsedPolicySetId: preparsedId(policy),
      preparsedSchemaName: schemaName(policy.scope),
      // The request and its entities are checked against the schema: a missing or mistyped
      // attribute is an error (so deny), never a silently false condition.
      validateRequest: true,
    });
  } catch (error) {
    // The wasm module throws on values it cannot convert (a bigint, a function): fail closed.
    return failClosed(policy, [`Cedar could not read the request: ${String(error)}`]);
  }
  if (answer.type === "failure") return failClosed(policy, answer.errors.map(formatCedarError));

  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0) {
    // Cedar skips a policy whose condition fails to evaluate and decides with the others, so a
    // forbid that errors would let a permit through. Safety first: any error denies.
    return failClosed(
      policy,
      diagnostics.errors.map((e) => `policy ${e.policyId}: ${formatCedarError(e.error)}`),
    );
  }
  const order = [...policy.policies.keys()];
  const determiningPolicies = [...diagnostics.reason].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (decision === "deny" && determiningPolicies.length === 0) {
    return {
      decision: "deny",
      determiningPolicies: [],
      reasons: [`No policy permits ${action} here (default deny)`],
      errors: [],
      policyVersion: policy.versionHash,
    };
  }
  return {
    decision,
    determiningPolicies,
    reasons: determiningPolicies.map((id) => reasonOf(policy, id)),
    errors: [],
    policyVersion: policy.versionHash,
  };
}
