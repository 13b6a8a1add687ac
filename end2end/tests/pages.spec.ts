/**
 * Every Admin page renders for an administrator, and full-page screenshots of each page (and
 * of the sign-in and first-run pages) land in end2end/screenshots/ for humans to look at.
 */
import type { Locator, Page } from "@playwright/test";
import { expect, pageHeading, screenshot, SERVER_FIXTURE_TIMEOUT_MS, startServer, test } from "./fixtures";

const ADMIN_PAGES: { name: string; path: string; heading: string; content: (page: Page) => Locator }[] = [
  {
    name: "integrations",
    path: "/admin/integrations",
    heading: "Integrations",
    content: (page) => page.getByRole("heading", { name: "Salesforce" }),
  },
  {
    name: "oauth-tokens",
    path: "/admin/oauth-tokens",
    heading: "OAuth Tokens",
    content: (page) => page.getByText("No OAuth tokens yet"),
  },
  {
    name: "campaigns",
    path: "/admin/campaigns",
    heading: "Campaigns",
    content: (page) => page.getByText("No campaigns yet"),
  },
  {
    name: "api-keys-empty",
    path: "/admin/api-keys",
    heading: "API Keys",
    content: (page) => page.getByText("No API keys"),
  },
];

test("each Admin page renders its heading", async ({ page, app }, testInfo) => {
  await app.createAdmin(page, { integrations: true });
  for (const { name, path, heading, content } of ADMIN_PAGES) {
    await test.step(path, async () => {
      const response = await page.goto(path);
      expect(response?.status(), `${path} answers 200`).toBe(200);
      await expect(pageHeading(page, heading)).toBeVisible();
      await expect(content(page)).toBeVisible();
      await screenshot(page, name, testInfo);
    });
  }
});

test("/ leads to Integrations", async ({ page, app }) => {
  await app.createAdmin(page, { integrations: true });
  await page.goto("/");
  await expect(page).toHaveURL((url) => url.pathname === "/admin/integrations");
  await expect(pageHeading(page, "Integrations")).toBeVisible();
});

test("sign-in page", async ({ page }, testInfo) => {
  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Sign in to orgsync" })).toBeVisible();
  await screenshot(page, "login", testInfo);
});

test("first-run page", async ({ page }, testInfo) => {
  // /setup only shows its form on a server without users: start one of our own.
  test.setTimeout(testInfo.timeout + SERVER_FIXTURE_TIMEOUT_MS);
  const fresh = await startServer();
  try {
    await page.goto(new URL("/setup", fresh.baseURL).toString());
    await expect(page.getByRole("heading", { name: "Create the first administrator" })).toBeVisible();
    await screenshot(page, "setup", testInfo);
  } finally {
    await fresh.stop();
  }
});
