/**
 * The Salesforce card with JavaScript (IN-03..IN-07, IN-09): Set up opens Salesforce's sign-in
 * in a popup window against the simulator; the popup closes itself and the Integrations page
 * reloads with the outcome. Reset Token and Disconnect.
 */
import type { Page } from "@playwright/test";
import {
  Simulator,
  expect,
  pageHeading,
  screenshot,
  test,
  waitForHydration,
  watchHydration,
} from "./fixtures";

const card = (page: Page) => page.getByRole("region", { name: "Salesforce" });

async function openIntegrations(page: Page): Promise<void> {
  await page.goto("/admin/integrations");
  await expect(pageHeading(page, "Integrations")).toBeVisible();
  await waitForHydration(page);
}

/** Clicks `button` on the card, signs in at the simulator in the popup and presses `action`. */
async function signInInPopup(page: Page, button: string, action: "Allow" | "Deny"): Promise<void> {
  const popupOpened = page.waitForEvent("popup");
  await card(page).getByRole("button", { name: button, exact: true }).click();
  const popup = await popupOpened;
  await popup.waitForURL(/\/services\/oauth2\/authorize/);
  await popup.getByLabel("Username").fill(Simulator.USERNAME);
  await popup.getByLabel("Password").fill(Simulator.PASSWORD);
  const closed = popup.waitForEvent("close");
  await popup.getByRole("button", { name: action, exact: true }).click();
  await closed;
}

test.beforeEach(async ({ page }) => {
  await watchHydration(page);
});

test("IN-03 IN-04 Set up signs in through a popup and shows the connected panel", async ({ page, app }, testInfo) => {
  await app.createAdmin(page);
  await openIntegrations(page);
  await expect(card(page).getByText("Not connected")).toBeVisible();
  await expect(card(page).getByRole("button", { name: "Set up" })).toBeVisible();
  // Sync Settings belongs to the connected card only.
  await expect(card(page).getByRole("link", { name: "Sync Settings" })).toHaveCount(0);
  await screenshot(page, "integrations-not-connected", testInfo);

  await signInInPopup(page, "Set up", "Allow");

  await expect(page).toHaveURL(/\/admin\/integrations\?salesforce=connected$/);
  await expect(page.getByRole("status").filter({ hasText: "Connected to Salesforce" })).toBeVisible();
  const panel = card(page).locator(".connected-panel");
  await expect(panel.getByText("Connected to Salesforce")).toBeVisible();
  await expect(panel.locator("dt", { hasText: "Instance" })).toBeVisible();
  await expect(panel.locator("dd").first()).toHaveText(app.sim.baseURL);
  await expect(panel.locator("dt", { hasText: "Salesforce User" })).toBeVisible();
  await expect(panel.locator("dd").nth(1)).toHaveText(Simulator.USERNAME);
  await expect(card(page).getByRole("button", { name: "Reset Token" })).toBeVisible();
  await expect(card(page).getByRole("link", { name: "Sync Settings" })).toBeVisible();
  await expect(card(page).getByRole("link", { name: "Disconnect" })).toBeVisible();
  await expect(card(page).getByRole("button", { name: "Set up" })).toHaveCount(0);
  await screenshot(page, "integrations-connected", testInfo);

  // IN-09: the token is listed under the salesforce provider, without secrets.
  await page.goto("/admin/oauth-tokens");
  const row = page.getByRole("row").filter({ hasText: Simulator.USERNAME });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("salesforce");
  await expect(row).toContainText(app.sim.baseURL);
  await screenshot(page, "oauth-tokens-connected", testInfo);
});

test("IN-05 Deny in the Salesforce window leaves the card as it was and says why", async ({ page, app }, testInfo) => {
  await app.createAdmin(page);
  await openIntegrations(page);
  await signInInPopup(page, "Set up", "Deny");

  await expect(page).toHaveURL(/salesforce=denied$/);
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("The Salesforce sign-in was cancelled (access was denied), so nothing changed.");
  await expect(card(page).getByText("Not connected")).toBeVisible();
  await expect(card(page).getByRole("button", { name: "Set up" })).toBeVisible();
  await screenshot(page, "integrations-denied", testInfo);

  await page.goto("/admin/oauth-tokens");
  await expect(page.getByRole("row").filter({ hasText: "salesforce" })).toHaveCount(0);

  // The server printed its settings at start-up, but never the connected app's secret.
  expect(app.logs()).toContain("starting orgsync");
  expect(app.logs()).not.toContain(Simulator.CLIENT_SECRET);
});

test("IN-05 a forged callback stores nothing and explains", async ({ page, app }, testInfo) => {
  await app.createAdmin(page);
  const response = await page.goto("/auth/salesforce/callback?code=stolen&state=forged-state");
  expect(response?.status()).toBe(400);
  await expect(page.getByText("This Salesforce sign-in is no longer valid")).toBeVisible();
  await screenshot(page, "salesforce-callback-forged", testInfo);
  await page.getByRole("link", { name: "Back to Integrations" }).click();
  await expect(page.getByRole("alert")).toContainText("no longer valid");
  await expect(card(page).getByText("Not connected")).toBeVisible();
});

test("IN-06 Reset Token replaces the token and keeps the connection", async ({ page, app }, testInfo) => {
  await app.createAdmin(page);
  await openIntegrations(page);
  await signInInPopup(page, "Set up", "Allow");
  await expect(card(page).locator(".connected-panel")).toBeVisible();
  await waitForHydration(page);
  const tokenCalls = (await app.sim.counters())["oauth/token"] ?? 0;

  await signInInPopup(page, "Reset Token", "Allow");

  await expect(page).toHaveURL(/salesforce=token-replaced$/);
  await expect(page.getByRole("status").filter({ hasText: "Salesforce token replaced" })).toContainText(
    "Every sync configuration stays as it was.",
  );
  await expect(card(page).locator(".connected-panel")).toContainText(Simulator.USERNAME);
  expect((await app.sim.counters())["oauth/token"]).toBe(tokenCalls + 1);
  await page.goto("/admin/oauth-tokens");
  await expect(page.getByRole("row").filter({ hasText: "salesforce" })).toHaveCount(1);
  await screenshot(page, "oauth-tokens-after-reset", testInfo);
});

test("IN-07 Disconnect asks first, then removes the token", async ({ page, app }, testInfo) => {
  await app.createAdmin(page);
  await openIntegrations(page);
  await signInInPopup(page, "Set up", "Allow");
  await expect(card(page).locator(".connected-panel")).toBeVisible();
  await waitForHydration(page);

  await card(page).getByRole("link", { name: "Disconnect" }).click();
  const dialog = page.getByRole("dialog", { name: "Disconnect Salesforce" });
  await expect(dialog).toContainText("Are you sure you want to disconnect Salesforce?");
  await screenshot(page, "integrations-disconnect-confirm", testInfo);
  await dialog.getByRole("link", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(card(page).locator(".connected-panel")).toBeVisible();

  const revokes = (await app.sim.counters())["oauth/revoke"] ?? 0;
  await card(page).getByRole("link", { name: "Disconnect" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disconnect" }).click();
  await expect(page).toHaveURL(/salesforce=disconnected$/);
  await expect(page.getByRole("status").filter({ hasText: "Salesforce disconnected" })).toBeVisible();
  await expect(card(page).getByRole("button", { name: "Set up" })).toBeVisible();
  await expect(card(page).locator(".connected-panel")).toHaveCount(0);
  expect((await app.sim.counters())["oauth/revoke"]).toBe(revokes + 1);
  await screenshot(page, "integrations-disconnected", testInfo);

  await page.goto("/admin/oauth-tokens");
  await expect(page.getByRole("row").filter({ hasText: "salesforce" })).toHaveCount(0);

  // The server printed its settings at start-up, but never the connected app's secret.
  expect(app.logs()).toContain("starting orgsync");
  expect(app.logs()).not.toContain(Simulator.CLIENT_SECRET);
});

/** What the simulator's tokens look like: access `<org id>!AQ…`, refresh `5Aep861…`. */
const TOKEN_SHAPES = [/![A-Za-z0-9._]{20,}/, /5Aep861[A-Za-z0-9._]{20,}/];

test("IN-09 OAuth Tokens lists the salesforce token by provider and never a secret", async ({ page, app }, testInfo) => {
  await app.createAdmin(page);
  await page.goto("/admin/oauth-tokens");
  await expect(pageHeading(page, "OAuth Tokens")).toBeVisible();
  await expect(page.getByText("No OAuth tokens yet")).toBeVisible();

  await openIntegrations(page);
  await signInInPopup(page, "Set up", "Allow");
  await expect(card(page).locator(".connected-panel")).toBeVisible();

  const response = await page.goto("/admin/oauth-tokens");
  const headers = page.getByRole("columnheader");
  await expect(headers).toHaveText(["Provider", "Instance", "User", "Issued"]);
  const row = page.getByRole("row").filter({ hasText: Simulator.USERNAME });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole("cell").nth(0)).toHaveText("salesforce");
  await expect(row.getByRole("cell").nth(1)).toHaveText(app.sim.baseURL);
  await expect(row.getByRole("cell").nth(3)).not.toBeEmpty();
  // Neither the server-rendered HTML nor the hydrated page carries a token or the secret.
  const html = (await response?.text()) ?? "";
  const hydrated = await page.content();
  for (const text of [html, hydrated]) {
    expect(text).toContain(Simulator.USERNAME);
    for (const shape of TOKEN_SHAPES) expect(text).not.toMatch(shape);
    expect(text).not.toContain(Simulator.CLIENT_SECRET);
  }
  await screenshot(page, "oauth-tokens-listed", testInfo);
});

test("IN-05 a crafted success link does not show Connected above a card that is not", async ({ page, app }) => {
  await app.createAdmin(page);
  await page.goto("/admin/integrations?salesforce=connected");
  await expect(pageHeading(page, "Integrations")).toBeVisible();
  await expect(card(page).getByText("Not connected")).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Connected to Salesforce" })).toHaveCount(0);
});
