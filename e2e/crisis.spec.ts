// UJ-3, treasury crisis → freeze → resolution, in a real browser. A venture's growth agent bursts
// spending (played by e2e/crisis-setup.ts through the same money-intent path agents use: no person
// is involved in that part); the anomaly guard freezes the venture's treasury by itself. The
// finance controller, watching the inbox, is alerted by the bell without a reload, sees why the
// treasury froze, cannot approve while frozen, denies the request that waits for approval, voids
// the holds of the approved ad buys the freeze held back (a void without a note is refused,
// naming it), and lifts the freeze with a reason after one without a reason is refused. The
// founder meanwhile sees the budget released and a new request denied while frozen. The voided
// payments never leave after the unfreeze. Screenshots of the key screens go into the test output.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { expect, type Page, test } from "@playwright/test";
import { personAs, screenshot } from "./fixtures";

type Ready = { phase: "ready"; portfolioId: string; ventureId: string; ventureName: string; tag: string };
type Done = {
  phase: "done";
  heldIds: string[];
  pendingId: string;
  pendingPurpose: string;
  denied: number;
  freezeReason: string;
};

/** The agent side of the journey (e2e/crisis-setup.ts): ready() once the venture exists, burst() to spend. */
function agentSide() {
  const child = spawn("npx", ["tsx", "e2e/crisis-setup.ts"], {
    stdio: ["pipe", "pipe", "inherit"],
    detached: true,
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async <T>(phase: string): Promise<T> => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`e2e/crisis-setup.ts ended before printing its ${phase} line`);
      if (value.startsWith(`{"phase":"${phase}"`)) return JSON.parse(value) as T;
    }
  };
  return {
    ready: () => next<Ready>("ready"),
    async burst(): Promise<Done> {
      child.stdin.write("go\n");
      return next<Done>("done");
    },
    stop() {
      // Its process group: npx and the tsx process under it.
      try {
        if (child.pid) process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    },
  };
}

test("an agent's spending burst freezes the treasury; the finance controller denies, voids and unfreezes with a reason", async ({
  browser,
}) => {
  // A ceiling for a loaded machine; the journey takes well under a minute on an idle one.
  test.setTimeout(240_000);
  const agents = agentSide();
  // The finance controller is at work in the inbox when the burst happens.
  const [finance, venture] = await Promise.all([
    personAs(browser, "finance_controller", "/inbox"),
    agents.ready(),
  ]);
  const name = venture.ventureName;
  let frozen = true;
  try {
    await expect(finance.getByTestId("payments")).toBeVisible();
    const burst = await agents.burst();
    expect(burst.denied).toBe(10);
    const setup = { ...venture, ...burst };
    // Alerted without a reload: the bell tells of the automatic freeze and leads to the inbox.
    await expect(finance.getByTestId("notification-badge")).toBeVisible({ timeout: 30_000 });
    await finance.getByTestId("notification-bell").click();
    const alert = finance
      .getByTestId("notification-item")
      .filter({ hasText: `Venture ${setup.ventureId}'s treasury is frozen` });
    await expect(alert).toContainText("Automatic freeze (velocity spike)", { timeout: 30_000 });
    await screenshot(finance, "1-alert");
    await alert.click();
    await expect(finance).toHaveURL(/\/inbox$/);

    // Why it froze, and what the burst left: a request above the automatic limit waiting for a
    // decision, and the ad buys approved automatically, held back by the freeze.
    const freezeRow = finance.getByTestId("freeze-row").filter({ hasText: name });
    await expect(freezeRow).toContainText(`${name}'s treasury is frozen:`);
    await expect(freezeRow).toContainText(
      `Automatic freeze (velocity spike): Velocity spike on venture ${name}`,
    );
    await expect(freezeRow).toContainText("Frozen automatically by the anomaly guard");
    const placement = finance.getByTestId("intent-row").filter({ hasText: setup.pendingPurpose });
    await expect(placement).toContainText("$600.00");
    await expect(placement).toContainText(`advertising · adnet · ${name}`);
    const payments = finance.getByTestId("payment-row").filter({ hasText: name });
    const heldBack = payments.filter({ hasText: "held back: the treasury is frozen" });
    await expect(heldBack).toHaveCount(3);
    for (const row of await heldBack.all()) await expect(row).toContainText("$450.00");
    await screenshot(finance, "2-inbox-frozen");

    // Approving while frozen is refused; the finance controller denies the request instead.
    await placement.getByLabel("Note").fill("Looks fine?");
    await placement.getByRole("button", { name: "Approve" }).click();
    await expect(finance.getByRole("main")).toContainText("Approving is refused");
    await expect(finance.getByRole("main")).toContainText(`Venture ${name}'s treasury is frozen`);
    await placement.getByLabel("Note").fill("Runaway agent: not approved");
    await placement.getByRole("button", { name: "Deny" }).click();
    await expect(placement).toHaveCount(0);

    // The held ad buys are voided. Without a note the void is refused, naming the note.
    const first = heldBack.first();
    await first.getByRole("button", { name: "Void hold" }).click();
    await expect(first.getByRole("alert")).toContainText("note: 1-2000 characters");
    await expect(heldBack).toHaveCount(3);
    for (let left = 3; left > 0; left--) {
      const row = heldBack.first();
      await row.getByLabel("Void note").fill("Runaway ad spend by the growth agent");
      await row.getByRole("button", { name: "Void hold" }).click();
      await expect(heldBack).toHaveCount(left - 1);
    }
    const voided = payments.filter({ hasText: "Voided by" });
    await expect(voided).toHaveCount(3);
    for (const row of await voided.all()) {
      await expect(row).toContainText("failed");
      await expect(row).toContainText("Runaway ad spend by the growth agent");
    }
    await screenshot(finance, "3-holds-voided");

    // The founder sees the whole budget available again, and a new request denied while frozen.
    const founder = await personAs(browser, "founder", `/ventures/${setup.ventureId}`);
    await expect(founder.getByRole("heading", { name })).toBeVisible();
    await expect(founder.getByTestId("budget-available")).toHaveText("2,000.00 USD");
    await founder.getByLabel("Allocation amount").fill("100.00");
    await founder.getByLabel("Reason").fill(`During the freeze ${setup.tag}`);
    await founder.getByRole("button", { name: "Request budget" }).click();
    const result = founder.getByTestId("allocation-result");
    await expect(result).toContainText("denied");
    await expect(result).toContainText(`Venture ${setup.ventureId}'s treasury is frozen: Automatic freeze`);
    await screenshot(founder, "4-founder-denied-while-frozen");
    await founder.context().close();

    // Lifting the freeze needs a reason: without one it is refused, naming it; with one it is lifted.
    const unfreeze = freezeRow.getByRole("button", { name: "Unfreeze venture" });
    await unfreeze.click();
    await expect(freezeRow.getByRole("alert")).toContainText("A reason of 3-500 characters is required");
    await expect(freezeRow.getByLabel(`Reason to unfreeze ${name}`)).toHaveAttribute("aria-invalid", "true");
    await expect(freezeRow).toBeVisible();
    await screenshot(finance, "5-unfreeze-refused");
    await freezeRow.getByLabel(`Reason to unfreeze ${name}`).fill("Agent spend capped; ad buys reviewed");
    await unfreeze.click();
    await expect(freezeRow).toHaveCount(0);
    frozen = false;

    // The voided ad buys never leave: rounds of the payout worker later they are still failed,
    // with no rail reference, and nothing of this venture is held back or paid.
    await finance.waitForTimeout(3_000);
    await finance.reload();
    await expect(voided).toHaveCount(3);
    for (const row of await voided.all()) await expect(row.getByTestId("rail-reference")).toHaveText("—");
    await expect(payments.filter({ hasText: "settled" })).toHaveCount(0);
    await screenshot(finance, "6-resolved");
  } finally {
    agents.stop();
    // Never leave the journey portfolio with a frozen venture for the specs that follow.
    if (frozen) await unfreezeInCleanup(finance, name);
    await finance.context().close();
  }
});

async function unfreezeInCleanup(finance: Page, name: string): Promise<void> {
  await finance.goto("/inbox");
  const row = finance.getByTestId("freeze-row").filter({ hasText: name });
  if ((await row.count()) === 0) return;
  await row.getByLabel(`Reason to unfreeze ${name}`).fill("E2E cleanup");
  await row.getByRole("button", { name: "Unfreeze venture" }).click();
  await expect(row).toHaveCount(0);
}
