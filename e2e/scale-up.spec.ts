// Scale-up expansion (UJ-6, ORCH-008, ADR 0017) in a real browser: a founder configures the
// venture's scale-up playbook; sandbox customers pay until trailing revenue passes the threshold;
// the playbook fires once and asks the treasury for a budget increase that two different finance
// controllers approve in the inbox (one approval leaves it at 1 of 2, the same person twice is
// refused); the venture's concurrency rises and a run goes several tasks at a time; the kill-switch
// pressed mid-run stops everything; resume, and the run finishes with every task done exactly once.
// Setup runs through e2e/scale-up-setup.ts (tsx). Screenshots of each step go into the test output.
import { execFileSync } from "node:child_process";
import { type APIRequestContext, type Browser, expect, type Page, test } from "@playwright/test";
import { signIn } from "./fixtures";
import { e2eExtraUsers, e2eUsers } from "./users";

type Setup = { portfolioId: string; ventureId: string; ventureName: string; founderToken: string };
type Task = { id: string; key: string; status: string; attempt: number };
type TaskDetail = Task & { history: Array<{ type: string }> };

const shot = (page: Page, name: string) =>
  page.screenshot({ path: test.info().outputPath(name), fullPage: true });

/** A browser context of its own, signed in with an email (for the journey users beyond one per role). */
async function signInEmail(browser: Browser, email: string, then: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(process.env.E2E_PASSWORD!);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto(then);
  return page;
}

test("revenue passes the threshold, two finance controllers approve, concurrency rises, and a paused run resumes with nothing lost or done twice", async ({
  page,
  browser,
  playwright,
  baseURL,
}) => {
  test.setTimeout(300_000);
  const setup = JSON.parse(
    execFileSync("npx", ["tsx", "e2e/scale-up-setup.ts"], { encoding: "utf8" }).trim().split("\n").at(-1)!,
  ) as Setup;
  const api: APIRequestContext = await playwright.request.newContext({
    baseURL,
    extraHTTPHeaders: { authorization: `Bearer ${setup.founderToken}` },
  });
  const pay = async (amountMinor: string) => {
    const response = await api.post("/api/v1/treasury/sandbox-payments", {
      data: {
        portfolioId: setup.portfolioId,
        ventureId: setup.ventureId,
        amountMinor,
        currency: "USD",
        customer: "Scale-up e2e customer",
        idempotencyKey: `e2e-scale-up-${Date.now().toString(36)}-${amountMinor}`,
      },
    });
    expect(response.status(), await response.text()).toBe(201);
  };
  try {
    // The treasury needs the cash the budget increase will move.
    const finance = await signInEmail(browser, e2eUsers.finance_controller, "/treasury");
    await finance.getByLabel("Amount").fill("20000.00");
    await finance.getByLabel("Source").fill(`Scale-up fund ${setup.ventureName}`);
    await finance.getByRole("button", { name: "Deposit" }).click();
    await expect(finance.getByTestId("deposit-result")).toContainText("20,000.00 USD");

    // The founder configures the playbook: past 1,000.00 of revenue in 30 days, ask for 2,500.00
    // more budget and run 4 tasks at once instead of 1.
    await signIn(page, "founder", `/ventures/${setup.ventureId}`);
    await expect(page.getByRole("heading", { name: setup.ventureName })).toBeVisible();
    const panel = page.getByTestId("scale-up-panel");
    await expect(panel.getByTestId("playbook-state")).toHaveText("not configured");
    await expect(panel.getByTestId("playbook-concurrency")).toHaveText("1 at once");
    // Bad input is named and nothing is saved.
    await panel.getByLabel("Revenue threshold").fill("1000.00");
    await panel.getByLabel("Revenue window (days)").fill("30");
    await panel.getByLabel("Budget increase").fill("2500.00");
    await panel.getByLabel("Concurrency target").fill("0");
    await panel.getByRole("button", { name: "Save playbook" }).click();
    await expect(panel.getByRole("alert")).toContainText("1 to 1000");
    await expect(panel.getByTestId("playbook-state")).toHaveText("not configured");
    await panel.getByLabel("Concurrency target").fill("4");
    await panel.getByRole("button", { name: "Save playbook" }).click();
    await expect(panel.getByTestId("playbook-saved")).toContainText("Saved as version 1: armed");
    await expect(panel.getByTestId("playbook-state")).toHaveText("armed");
    await shot(page, "1-playbook-configured.png");

    // Revenue below the threshold: the playbook waits.
    await pay("60000");
    await expect(panel.getByTestId("playbook-trailing-revenue")).toHaveText("600.00 USD");
    await expect(panel.getByTestId("playbook-threshold")).toContainText("not reached");
    await expect(panel.getByTestId("playbook-run")).toHaveCount(0);
    // Past it: the orchestrator fires the playbook once, asking for the budget increase.
    await pay("50000");
    await expect(panel.getByTestId("playbook-trailing-revenue")).toHaveText("1,100.00 USD");
    await expect(panel.getByTestId("playbook-run")).toBeVisible({ timeout: 30_000 });
    await expect(panel.getByTestId("playbook-run-status")).toHaveText("waiting for approvals");
    await expect(panel.getByTestId("playbook-approvals")).toHaveText("Approvals 0 of 2");
    await expect(panel.getByTestId("playbook-state")).toHaveText("fired");
    await shot(page, "2-playbook-fired.png");

    // The first finance controller approves in the inbox: it waits for a second pair of eyes.
    await finance.goto("/inbox");
    // Only this journey configures a playbook in the journey database: its first version's request.
    const row = finance.getByTestId("intent-row").filter({ hasText: "Scale-up playbook v1" });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(/2,500\.00/);
    await expect(row).toContainText("scale-up-playbook");
    await expect(row).toContainText("two distinct approvers");
    await expect(row).toContainText("0/2 approvals");
    await row.getByLabel("Note").fill("Revenue is real");
    await row.getByRole("button", { name: "Approve" }).click();
    await expect(row).toContainText("1/2 approvals");
    await expect(panel.getByTestId("playbook-approvals")).toHaveText("Approvals 1 of 2");
    // The same person cannot be both pairs of eyes.
    await row.getByLabel("Note").fill("Again");
    await row.getByRole("button", { name: "Approve" }).click();
    await expect(finance.getByRole("main")).toContainText("a second approver is needed");
    await expect(row).toContainText("1/2 approvals");
    await shot(finance, "3-one-of-two-approvals.png");
    await expect(page.getByTestId("playbook-concurrency")).toHaveText("1 at once");

    // A different finance controller approves: the budget moves and concurrency rises.
    const second = await signInEmail(browser, e2eExtraUsers[0].email, "/inbox");
    const secondRow = second.getByTestId("intent-row").filter({ hasText: "Scale-up playbook v1" });
    await expect(secondRow).toContainText("1/2 approvals");
    await secondRow.getByLabel("Note").fill("Agreed: scale it");
    await secondRow.getByRole("button", { name: "Approve" }).click();
    await expect(secondRow).toHaveCount(0);
    await expect(panel.getByTestId("playbook-run-status")).toHaveText("concurrency raised", {
      timeout: 30_000,
    });
    await expect(panel.getByTestId("playbook-run-summary")).toHaveText("Concurrency raised 1 → 4");
    await expect(panel.getByTestId("playbook-approvals")).toHaveText("Approvals 2 of 2");
    await expect(panel.getByTestId("playbook-concurrency")).toHaveText("4 at once");
    await page.reload();
    await expect(page.getByTestId("budget-available")).toContainText("USD");
    await shot(page, "4-concurrency-raised.png");

    // A run of four slow L3 steps side by side, then a built-in provider step after them.
    const submitted = await api.post(`/api/v1/ventures/${setup.ventureId}/workstreams`, {
      data: {
        title: "Scale-up run",
        tasks: [
          ...[1, 2, 3, 4].map((n) => ({
            key: `batch${n}`,
            title: `Batch ${n}`,
            role: "worker",
            level: "L3",
            // The last batch outlasts the steps before the pause even on a loaded machine, so the
            // button always lands mid-run.
            inputs: { program: "sh", script: `sleep ${n === 4 ? 20 : 6}; echo batch ${n}` },
          })),
          {
            key: "report",
            title: "Report on the batches",
            role: "researcher",
            inputs: { script: [{ answer: "four batches done" }] },
            dependsOn: ["batch1", "batch2", "batch3", "batch4"],
          },
        ],
      },
    });
    expect(submitted.status(), await submitted.text()).toBe(201);
    const { workstreamId } = (await submitted.json()) as { workstreamId: string };
    const tasks = async (): Promise<Task[]> => {
      const response = await api.get(
        `/api/v1/ventures/${setup.ventureId}/tasks?workstreamId=${workstreamId}`,
      );
      expect(response.status()).toBe(200);
      return (await response.json()) as Task[];
    };
    const count = async (...statuses: string[]) =>
      (await tasks()).filter((t) => statuses.includes(t.status)).length;
    // More than one task of the venture at once now (it was one at a time before the approval).
    await expect.poll(() => count("dispatched", "running"), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => count("running"), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await page.reload();
    await shot(page, "5-run-in-progress.png");

    // Mid-run, the red button.
    await page.getByTestId("kill-switch").click();
    const pauseDialog = page.getByRole("dialog", { name: "Pause everything?" });
    await pauseDialog.getByLabel("Reason").fill("E2E: stop the scale-up run mid-way");
    await pauseDialog.getByRole("button", { name: "Pause everything" }).click();
    await expect(page.getByTestId("paused-banner")).toBeVisible();
    await expect(page.getByTestId("paused-reason")).toHaveText("E2E: stop the scale-up run mid-way");
    // Everything stops: the running steps are stopped and nothing else starts or finishes.
    await expect.poll(() => count("running"), { timeout: 30_000 }).toBe(0);
    const frozen = (await tasks()).map((t) => `${t.key}:${t.status}`).sort();
    await page.waitForTimeout(5_000);
    expect((await tasks()).map((t) => `${t.key}:${t.status}`).sort()).toEqual(frozen);
    expect(frozen).not.toContain("report:succeeded");
    await shot(page, "6-paused-mid-run.png");

    // Resume from the banner; the run finishes, each task once, none counted as a failed attempt.
    await page.getByTestId("resume").click();
    const resumeDialog = page.getByRole("dialog", { name: "Resume everything?" });
    await resumeDialog.getByLabel("Reason").fill("E2E: carry on scaling");
    await resumeDialog.getByRole("button", { name: "Resume" }).click();
    await expect(page.getByTestId("paused-banner")).toHaveCount(0);
    await expect
      .poll(async () => (await tasks()).map((t) => t.status), { timeout: 120_000 })
      .toEqual(["succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]);
    for (const task of await tasks()) {
      const detail = (await (await api.get(`/api/v1/tasks/${task.id}`)).json()) as TaskDetail;
      const succeeded = detail.history.filter((h) => h.type === "orchestration.task_succeeded").length;
      const started = detail.history.filter((h) => h.type === "orchestration.task_started").length;
      const aborted = detail.history.filter((h) => h.type === "orchestration.task_run_aborted").length;
      expect(`${task.key}: ${succeeded} success, attempt ${detail.attempt}`).toBe(
        `${task.key}: 1 success, attempt 1`,
      );
      // Each start either succeeded or was stopped by the pause: nothing ran twice to completion.
      expect(started).toBe(succeeded + aborted);
    }
    // The playbook fired once: its budget increase is the only one of this venture.
    const runs = (await (
      await api.get(`/api/v1/ventures/${setup.ventureId}/playbook/runs`)
    ).json()) as Array<{
      status: string;
      approvalsGiven: number;
    }>;
    expect(runs.map((r) => `${r.status} ${r.approvalsGiven}`)).toEqual(["concurrency_raised 2"]);
    await page.reload();
    await expect(page.getByTestId("task-table")).toContainText("succeeded");
    await shot(page, "7-run-finished.png");
  } finally {
    // Never leave the journey system paused for the specs that run after this one.
    await api.post("/api/v1/control/resume", { data: { reason: "E2E scale-up spec cleanup" } });
    await api.dispose();
  }
});
