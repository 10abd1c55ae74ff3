// The kill-switch in a real browser (CTRL-003, UJ-6): a founder presses the red button in the
// middle of a run → the banner shows who paused and why, every worker confirms on /control, nothing
// is dispatched while paused, money is refused (a new intent is denied, a waiting one cannot be
// approved), and the notification bell says so; resume → the run finishes with every task done
// exactly once. The run mixes built-in provider steps with slow L3 steps, so there is a "middle".
// Screenshots of each step go into the test output.
import { execFileSync } from "node:child_process";
import { type APIRequestContext, expect, test } from "@playwright/test";
import { signIn } from "./fixtures";

type Setup = {
  portfolioId: string;
  ventureId: string;
  ventureName: string;
  moneyVentureId: string;
  pendingIntentId: string;
  pendingPurpose: string;
  founderToken: string;
};

type Task = { id: string; key: string; status: string; attempt: number };
type TaskDetail = Task & { history: Array<{ type: string }> };

const workers = ["outbox-relay", "orchestrator", "agent-runtime", "artifact-compiler", "notifier"];

test("pressed mid-run, the kill-switch stops everything; resume finishes the run with nothing done twice", async ({
  page,
  browser,
  playwright,
  baseURL,
}, testInfo) => {
  test.setTimeout(300_000);
  const shot = (target: typeof page, name: string) =>
    target.screenshot({ path: testInfo.outputPath(name), fullPage: true });
  const setup = JSON.parse(
    execFileSync("npx", ["tsx", "e2e/kill-switch-setup.ts"], { encoding: "utf8" }).trim().split("\n").at(-1)!,
  ) as Setup;
  const api: APIRequestContext = await playwright.request.newContext({
    baseURL,
    extraHTTPHeaders: { authorization: `Bearer ${setup.founderToken}` },
  });
  try {
    // A run: built-in provider steps (metered against the venture's budget) around slow L3 steps.
    const submitted = await api.post(`/api/v1/ventures/${setup.ventureId}/workstreams`, {
      data: {
        title: "Kill-switch run",
        tasks: [
          {
            key: "research",
            title: "Research the market",
            role: "researcher",
            inputs: { script: [{ answer: "schools" }] },
          },
          {
            key: "wait1",
            title: "Slow step one",
            role: "worker",
            level: "L3",
            // Long enough to be seen running and still be running when the pause lands, on a loaded
            // machine too (6 s was not, twice).
            inputs: { program: "sh", script: "sleep 20; echo one" },
            dependsOn: ["research"],
          },
          {
            key: "copy",
            title: "Write the copy",
            role: "copywriter",
            inputs: { script: [{ answer: "Solar kits for schools" }] },
            dependsOn: ["wait1"],
          },
          {
            key: "wait2",
            title: "Slow step two",
            role: "worker",
            level: "L3",
            inputs: { program: "sh", script: "sleep 2; echo two" },
            dependsOn: ["copy"],
          },
          {
            key: "launch",
            title: "Plan the launch",
            role: "growth_marketer",
            inputs: { script: [{ answer: "launch plan" }] },
            dependsOn: ["wait2"],
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
    const statusOf = async (key: string) => (await tasks()).find((t) => t.key === key)?.status;

    await signIn(page, "founder");
    await page.goto(`/ventures/${setup.ventureId}`);
    await expect(page.getByRole("heading", { name: setup.ventureName })).toBeVisible();
    // Mid-run: the first step is done and the slow one is running.
    await expect.poll(() => statusOf("wait1"), { timeout: 90_000 }).toBe("running");
    expect(await statusOf("research")).toBe("succeeded");
    await shot(page, "1-run-in-progress.png");

    // The red button, with a reason.
    await page.getByTestId("kill-switch").click();
    const pauseDialog = page.getByRole("dialog", { name: "Pause everything?" });
    await pauseDialog.getByLabel("Reason").fill("E2E: stop the run mid-way");
    await pauseDialog.getByRole("button", { name: "Pause everything" }).click();
    const banner = page.getByTestId("paused-banner");
    await expect(banner).toBeVisible();
    await expect(banner).toContainText("Paused by");
    await expect(page.getByTestId("paused-reason")).toHaveText("E2E: stop the run mid-way");
    await expect(page.getByTestId("kill-switch")).toBeDisabled();
    await shot(page, "2-paused-banner.png");

    // Every worker confirms it stopped, with what it terminated and how long it took.
    await page.goto("/control");
    await expect(page.getByTestId("paused-banner")).toBeVisible();
    const confirmations = page.getByTestId("confirmations");
    for (const worker of workers) {
      await expect(
        confirmations.getByTestId("confirmation-row").filter({ hasText: worker }).first(),
      ).toBeVisible({
        timeout: 20_000,
      });
    }
    await expect(page.getByTestId("pending-row")).toHaveCount(0);
    await shot(page, "3-control-confirmations.png");

    // Nothing is dispatched while paused: the stopped step goes back to ready, and nothing moves.
    await expect
      .poll(
        async () => (await tasks()).filter((t) => t.status === "running" || t.status === "dispatched").length,
        {
          timeout: 30_000,
        },
      )
      .toBe(0);
    const frozen = (await tasks()).map((t) => `${t.key}:${t.status}`).sort();
    expect(frozen).toContain("wait1:ready");
    await page.waitForTimeout(5_000);
    expect((await tasks()).map((t) => `${t.key}:${t.status}`).sort()).toEqual(frozen);

    // Money is refused: a new intent is denied by the kill-switch...
    const intent = await api.post("/api/v1/intents", {
      data: {
        portfolioId: setup.portfolioId,
        ventureId: setup.moneyVentureId,
        amountMinor: "100",
        currency: "USD",
        counterparty: "acme",
        category: "model_inference",
        purpose: "While paused",
        idempotencyKey: `e2e-paused-${Date.now().toString(36)}`,
      },
    });
    expect(intent.status(), await intent.text()).toBe(201);
    const denied = (await intent.json()) as { status: string; reasons: string[] };
    expect(denied.status).toBe("denied");
    expect(denied.reasons.join(" ")).toMatch(/kill-switch/i);
    // ...and the finance controller cannot approve the one that was waiting.
    const financeContext = await browser.newContext();
    const finance = await financeContext.newPage();
    try {
      await signIn(finance, "finance_controller");
      await finance.goto("/inbox");
      const row = finance.getByTestId("intent-row").filter({ hasText: setup.pendingPurpose });
      await expect(row).toBeVisible();
      await row.getByLabel("Note").fill("approving while paused");
      await row.getByRole("button", { name: "Approve" }).click();
      await expect(finance.getByRole("main")).toContainText(/refused: Paused by/i);
      await expect(row).toBeVisible();
      await shot(finance, "4-approval-refused.png");
      // The bell tells the finance controller that everything is paused, without a reload.
      await expect(finance.getByTestId("notification-badge")).toBeVisible({ timeout: 20_000 });
      await finance.getByTestId("notification-bell").click();
      await expect(finance.getByTestId("notification-panel")).toContainText("Everything is paused");
      await expect(finance.getByTestId("notification-panel")).toContainText("E2E: stop the run mid-way");
      await shot(finance, "5-notification-paused.png");
    } finally {
      await financeContext.close();
    }

    // Resume from the banner, with a reason.
    await page.goto(`/ventures/${setup.ventureId}`);
    await page.getByTestId("resume").click();
    const resumeDialog = page.getByRole("dialog", { name: "Resume everything?" });
    await resumeDialog.getByLabel("Reason").fill("E2E: all clear");
    await resumeDialog.getByRole("button", { name: "Resume" }).click();
    await expect(page.getByTestId("paused-banner")).toHaveCount(0);
    await expect(page.getByTestId("kill-switch")).toBeEnabled();

    // The run finishes, every task exactly once; the stopped step was aborted (not failed) and ran again.
    await expect
      .poll(async () => (await tasks()).map((t) => t.status), { timeout: 120_000 })
      .toEqual(["succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]);
    for (const task of await tasks()) {
      const response = await api.get(`/api/v1/tasks/${task.id}`);
      const detail = (await response.json()) as TaskDetail;
      const succeeded = detail.history.filter((h) => h.type === "orchestration.task_succeeded").length;
      expect(`${task.key}: ${succeeded} success, attempt ${detail.attempt}`).toBe(
        `${task.key}: 1 success, attempt 1`,
      );
      if (task.key === "wait1") {
        expect(detail.history.map((h) => h.type)).toContain("orchestration.task_run_aborted");
      }
    }
    await page.reload();
    await expect(page.getByTestId("task-table")).toContainText("succeeded");
    await shot(page, "6-run-finished.png");
  } finally {
    // Never leave the journey system paused for the specs that run after this one.
    await api.post("/api/v1/control/resume", { data: { reason: "E2E kill-switch spec cleanup" } });
    await api.dispose();
  }
});
