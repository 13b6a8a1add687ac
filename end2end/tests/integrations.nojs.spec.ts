/**
 * The Salesforce card without JavaScript (IN-04, IN-07): Set up is a plain form that opens
 * the sign-in in a new tab; the callback page links back; Disconnect's confirmation is a page
 * state and its form a plain POST. Runs in the `ssr` project only (see playwright.config.ts).
 */
import type { Page } from "@playwright/test";
import { Simulator, expect, pageHeading, screenshot, test } from "./fixtures";

const salesforceCard = (page: Page) => page.getByRole("region", { name: "Salesforce" });

test("IN-04 IN-07 Set up and Disconnect work without JavaScript", async ({ page, app }, testInfo) => {
  await app.createAdmin(page);
  await page.goto("/admin/integrations");
  await expect(pageHeading(page, "Integrations")).toBeVisible();
  const card = salesforceCard(page);

  const tabOpened = page.waitForEvent("popup");
  await card.getByRole("button", { name: "Set up" }).click();
  const tab = await tabOpened;
  await tab.getByLabel("Username").fill(Simulator.USERNAME);
  await tab.getByLabel("Password").fill(Simulator.PASSWORD);
  await tab.getByRole("button", { name: "Allow", exact: true }).click();
  await expect(tab.getByText("Salesforce is connected.")).toBeVisible();
  await screenshot(tab, "salesforce-callback-connected", testInfo);
  await tab.getByRole("link", { name: "Back to Integrations" }).click();
  await expect(salesforceCard(tab).locator(".connected-panel")).toContainText(Simulator.USERNAME);
  await tab.close();

  await page.reload();
  await card.getByRole("link", { name: "Disconnect" }).click();
  await expect(page.getByRole("dialog")).toContainText("Are you sure you want to disconnect Salesforce?");
  await page.getByRole("dialog").getByRole("button", { name: "Disconnect" }).click();
  await expect(page).toHaveURL(/salesforce=disconnected$/);
  await expect(card.getByRole("button", { name: "Set up" })).toBeVisible();
});
