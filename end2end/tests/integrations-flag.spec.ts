/**
 * IN-02: the `integrations` feature flag of the organization decides whether administrators
 * see the Integrations page. Organizations start with the flag off; `orgsync org flag` switches it.
 */
import type { Page } from "@playwright/test";
import { adminNav, expect, pageHeading, test } from "./fixtures";

const DISABLED_MESSAGE =
  "The integrations feature flag is disabled for your organization. Contact orgsync support to have it enabled.";

async function expectIntegrationsHidden(page: Page): Promise<void> {
  await page.goto("/admin/oauth-tokens");
  await expect(pageHeading(page, "OAuth Tokens")).toBeVisible();
  // The sidebar is there, just without Integrations.
  await expect(adminNav(page).getByRole("link", { name: "OAuth Tokens" })).toBeVisible();
  await expect(adminNav(page).getByRole("link", { name: "Campaigns" })).toBeVisible();
  await expect(adminNav(page).getByRole("link", { name: "Integrations" })).toHaveCount(0);

  await page.goto("/admin/integrations");
  await expect(page.getByText(DISABLED_MESSAGE)).toBeVisible();
  await expect(pageHeading(page, "Integrations")).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Salesforce" })).toHaveCount(0);
}

async function expectIntegrationsShown(page: Page): Promise<void> {
  await page.goto("/admin/oauth-tokens");
  await expect(pageHeading(page, "OAuth Tokens")).toBeVisible();
  await expect(adminNav(page).getByRole("link", { name: "Integrations" })).toBeVisible();

  await page.goto("/admin/integrations");
  await expect(pageHeading(page, "Integrations")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Salesforce" })).toBeVisible();
  await expect(page.getByText(DISABLED_MESSAGE)).toHaveCount(0);
}

test("IN-02 flag off hides Integrations", async ({ page, app }) => {
  await app.createAdmin(page, { integrations: false });
  await expectIntegrationsHidden(page);
});

test("IN-02 flag on shows Integrations and the Salesforce card", async ({ page, app }) => {
  await app.createAdmin(page, { integrations: true });
  await expectIntegrationsShown(page);
});

test("IN-02 switching the flag takes effect on the next page load", async ({ page, app }) => {
  const admin = await app.createAdmin(page, { integrations: false });
  await expectIntegrationsHidden(page);

  await app.setFlag(admin.org, "integrations", true);
  await expectIntegrationsShown(page);

  await app.setFlag(admin.org, "integrations", false);
  await expectIntegrationsHidden(page);
});
