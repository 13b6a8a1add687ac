/**
 * Live status (ST-05): status changes reach every open browser through the server-sent events
 * stream, without a reload. Two browser contexts (two administrators' browsers) watch one
 * organization; changes come from the other browser and from the sync engine itself.
 * JavaScript only: the `ssr` project skips this file.
 */
import type { Browser, Page } from "@playwright/test";
import {
  Simulator,
  TIMESTAMP,
  adminNav,
  expect,
  markDocument,
  pageHeading,
  recordEventSources,
  sameDocument,
  screenshot,
  signIn,
  test,
  waitForHydration,
  watchHydration,
} from "./fixtures";

const PAGE = "/admin/integrations";

const card = (page: Page) => page.getByRole("region", { name: "Salesforce" });
const summaryRow = (page: Page, object: string) =>
  card(page)
    .getByRole("table", { name: "Sync status" })
    .getByRole("row")
    .filter({ has: page.getByRole("rowheader", { name: object, exact: true }) });
const settings = (page: Page) => page.getByRole("dialog", { name: "Sync Settings" });
const syncRow = (page: Page, object: string) => settings(page).getByRole("group", { name: object, exact: true });
const statusOf = (row: ReturnType<Page["locator"]>) => row.locator(".status-label");

/** A second browser (its own cookies) whose page records its EventSources and its document. */
async function secondBrowser(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await watchHydration(page);
  await recordEventSources(page);
  return page;
}

test("ST-05 status changes reach every open browser without a reload", async ({ page, app, browser }, testInfo) => {
  test.setTimeout(120_000);
  await watchHydration(page);
  const admin = await app.createAdmin(page);

  // Browser A connects Salesforce and adds Contact.
  await page.goto(PAGE);
  await waitForHydration(page);
  const popupOpened = page.waitForEvent("popup");
  await card(page).getByRole("button", { name: "Set up" }).click();
  const popup = await popupOpened;
  await popup.waitForURL(/\/services\/oauth2\/authorize/);
  await popup.getByLabel("Username").fill(Simulator.USERNAME);
  await popup.getByLabel("Password").fill(Simulator.PASSWORD);
  const closed = popup.waitForEvent("close");
  await popup.getByRole("button", { name: "Allow", exact: true }).click();
  await closed;
  await expect(page).toHaveURL(/salesforce=connected$/);
  await page.goto(`${PAGE}?modal=sync-settings`);
  await waitForHydration(page);
  await settings(page).getByRole("region", { name: "Add object" }).getByRole("button", { name: "Contact" }).click();
  await expect(syncRow(page, "Contact")).toBeVisible();

  // Browser B, the same administrator elsewhere, watches the card.
  const other = await secondBrowser(browser, app.baseURL);
  try {
    await signIn(other, admin.username, admin.password);
    await other.goto(PAGE);
    await expect(pageHeading(other, "Integrations")).toBeVisible();
    await waitForHydration(other);
    await markDocument(other);
    await expect(summaryRow(other, "Contact").getByRole("cell")).toHaveText(["Paused", "CDC", "Off"]);

    // A turns on REST polling: B's summary follows.
    const row = syncRow(page, "Contact");
    await row.getByLabel("Method").selectOption("rest");
    await row.getByLabel("Interval").selectOption({ label: "5 min" });
    await row.getByRole("switch", { name: "Enabled" }).check();
    await row.getByRole("button", { name: "Save" }).click();
    await expect(summaryRow(other, "Contact").getByRole("cell")).toHaveText(["Active", "REST", "On"], {
      timeout: 15_000,
    });

    // B opens Sync Settings (client-side) and sees the engine's first poll land.
    await card(other).getByRole("link", { name: "Sync Settings" }).click();
    await expect(settings(other)).toBeVisible();
    await expect(syncRow(other, "Contact").locator(".sync-last")).toHaveText(TIMESTAMP, { timeout: 20_000 });

    // The engine hits an authentication failure: both browsers show Error, red, with the error.
    await app.sim.control("tokens/revoke-refresh");
    for (const watcher of [page, other]) {
      const watched = syncRow(watcher, "Contact");
      await expect(statusOf(watched)).toHaveText("Error", { timeout: 20_000 });
      await expect(watched).toHaveClass(/sync-row-failing/);
      await expect(watched.locator(".sync-error")).toBeVisible();
    }
    await screenshot(other, "sync-settings-live-error", testInfo);

    // A removes the sync: it leaves B's modal and summary.
    await row.getByRole("link", { name: "Remove Contact sync" }).click();
    await page.getByRole("dialog", { name: "Remove Contact sync" }).getByRole("button", { name: "Remove" }).click();
    await expect(syncRow(page, "Contact")).toHaveCount(0);
    await expect(syncRow(other, "Contact")).toHaveCount(0, { timeout: 15_000 });
    expect(await sameDocument(other), "B never reloaded").toBe(true);

    // Leaving the page closes B's stream (Done first: the modal covers the page).
    await settings(other).getByRole("link", { name: "Done" }).click();
    await expect(settings(other)).toHaveCount(0);
    await adminNav(other).getByRole("link", { name: "OAuth Tokens" }).click();
    await expect(pageHeading(other, "OAuth Tokens")).toBeVisible();
    const states = await other.evaluate(() =>
      (window as unknown as { __eventSources: EventSource[] }).__eventSources.map((source) => source.readyState),
    );
    expect(states.length, "the Integrations page opened a stream").toBeGreaterThan(0);
    expect(states.every((state) => state === 2), "every stream is closed").toBe(true);
  } finally {
    await other.context().close();
    await page.request
      .post("/api/disconnect_salesforce", {
        headers: { Origin: app.baseURL, "Content-Type": "application/x-www-form-urlencoded" },
        data: "",
        maxRedirects: 0,
      })
      .catch(() => undefined);
  }
});
