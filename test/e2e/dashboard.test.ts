/**
 * The dashboard in real headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against a real `airlock serve` with public reads: it
 * shows an operation advancing live through its doors, shows a halt with
 * the detector's evidence, and its halt button works only with the admin
 * token (asked for in a dialog, sent as a header, never in a URL). Saves a
 * screenshot as `test-artifacts/dashboard.png`.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetPlan } from "../../src/api/testing-plans.ts";
import { request, type ServeProcess, startServeProcess } from "../../src/api/testing-serve.ts";
import { binaryPath, requireService } from "../services/index.ts";

const ready = requireService("chromium", "the dashboard in headless Chromium");
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-artifacts");

describe.skipIf(!ready)("the dashboard in Chromium", () => {
  let serve: ServeProcess;
  let browser: BrowserContext;
  let page: Page;
  const profile = mkdtempSync(join(tmpdir(), "airlock-chromium-"));
  const requestedUrls: string[] = [];

  beforeAll(async () => {
    serve = await startServeProcess(["--public-read"]);
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: binaryPath("chromium"),
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage();
    page.on("request", (r) => requestedUrls.push(r.url()));
  });
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    rmSync(profile, { recursive: true, force: true });
  });

  async function submit(plan: Record<string, unknown>): Promise<string> {
    const res = await request(serve.url, "POST", "/api/v1/operations", { token: serve.tokens.admin, body: plan });
    expect(res.status, res.text).toBe(201);
    return (res.json as { operation: { id: string } }).operation.id;
  }

  const door = (stage: string, state: string) => `li.door[data-stage="${stage}"][data-door="${state}"]`;

  it("lists operations and shows one advancing live through its stages", async () => {
    const id = await submit(
      fleetPlan({ name: "web-rollout", domain: "web", healthyTicks: 120, bakes: ["1500ms", "1500ms", "1500ms"] }),
    );
    await page.goto(`${serve.url}/`);
    await page.locator(`a[href="#/operations/${id}"]`).click();
    await page.waitForSelector(door("canary", "sealed"), { timeout: 20_000 });
    await page.waitForSelector(`${door("half", "sealing")}, ${door("half", "open")}`, { timeout: 20_000 });
    expect(await page.locator(door("full", "pending")).count()).toBe(1);
    await page.waitForSelector(door("full", "sealed"), { timeout: 20_000 });
    await expect.poll(() => page.locator(".title-row .badge").textContent(), { timeout: 10_000 }).toBe("completed");
    expect(await page.locator('li.event[data-type="StageSealed"]').count()).toBe(3);
    expect(await page.locator("#stream-state").textContent()).toContain("live");
    expect(await page.locator(".chart .u-over").count()).toBeGreaterThanOrEqual(1);
  });

  it("shows a halt with the detector's evidence", async () => {
    const id = await submit(
      fleetPlan({
        name: "web-bad",
        domain: "web-bad",
        healthyTicks: 12,
        badTicks: 200,
        bakes: ["1s", "60s", "60s"],
      }),
    );
    await page.goto(`${serve.url}/#/operations/${id}`);
    await page.waitForSelector(".halt-box", { timeout: 30_000 });
    expect(await page.locator(".halt-box").textContent()).toMatch(/supercriticality.*(cohort:candidate|v2-a) errors/);
    expect(await page.locator('li.door[data-door="halted"]').count()).toBe(1);
    await page.waitForSelector("table.evidence", { timeout: 10_000 });
    expect(await page.locator("table.evidence tbody th").first().textContent()).toMatch(/^(cohort:candidate|v2-a)$/);
    await page.waitForSelector('table.heatmap tr.suspect[data-node="v2-a"]', { timeout: 10_000 });
    expect(await page.locator("table.heatmap tbody tr").count()).toBe(4);
    await page.waitForFunction(
      () =>
        document.querySelector("p.cohort.suspect") !== null ||
        /\d×/.test(document.querySelector('tr[data-node="v2-a"] td.score')?.textContent ?? ""),
      undefined,
      { timeout: 10_000 },
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
  });

  it("halts only with the admin token, asked for when the button is used", async () => {
    const id = await submit(fleetPlan({ name: "web-manual", domain: "web-manual", bakes: ["60s", "60s", "60s"] }));
    await page.goto(`${serve.url}/#/operations/${id}`);
    await page.reload();
    await page.waitForSelector(door("canary", "sealing"), { timeout: 20_000 });
    const halt = page.locator('button[data-command="halt"]');
    await expect.poll(() => halt.isEnabled()).toBe(true);
    for (let i = 0; i < 12 && !(await halt.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press("Tab");
    }
    expect(await halt.evaluate((el) => el === document.activeElement)).toBe(true);

    await page.keyboard.press("Enter");
    await page.locator("#reason-input").fill("checking the halt button");
    await page.keyboard.press("Enter");
    await page.locator("#token-input").fill("not-the-admin-token-0000");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#command-status").textContent()).toMatch(/Halt refused: unknown token/);
    const unauthenticated = await request(serve.url, "POST", `/api/v1/operations/${id}/halt`, {
      body: { reason: "x" },
    });
    expect(unauthenticated.status).toBe(401);
    const before = await request(serve.url, "GET", `/api/v1/operations/${id}`);
    expect((before.json as { status: string }).status).toBe("running");

    await halt.click();
    await page.locator("#reason-input").fill("checking the halt button");
    await page.locator("#reason-submit").click();
    await page.locator("#token-input").fill(serve.tokens.admin);
    await page.locator("#token-submit").click();
    await expect.poll(() => page.locator("#command-status").textContent()).toMatch(/Halt queued/);
    await page.waitForSelector(".halt-box", { timeout: 20_000 });
    expect(await page.locator(".halt-box").textContent()).toMatch(/manual.*halted by admin: checking the halt button/);
    expect(requestedUrls.some((url) => url.includes(serve.tokens.admin))).toBe(false);
    expect(page.url()).not.toContain(serve.tokens.admin);
  });
});
