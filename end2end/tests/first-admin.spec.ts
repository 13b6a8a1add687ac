/**
 * First run: a server with no users sends everyone to `/setup`, which needs the one-time
 * setup code from the data directory. Runs on a server of its own (the worker's shared server
 * already has users), hydrated and with JavaScript off.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "@playwright/test";
import {
  expect,
  isLoginPage,
  type OrgsyncServer,
  pageHeading,
  SERVER_FIXTURE_TIMEOUT_MS,
  startServer,
  test as base,
  uniquePassword,
} from "./fixtures";

/** This spec's tests get a brand-new server, and `baseURL` points at it. */
const test = base.extend<{ fresh: OrgsyncServer }>({
  fresh: [
    async ({}, use, testInfo) => {
      const server = await startServer();
      try {
        await use(server);
      } finally {
        if (testInfo.status !== testInfo.expectedStatus) {
          await testInfo.attach("orgsync-fresh-server.log", {
            body: server.logs() || "(no output)",
            contentType: "text/plain",
          });
        }
        await server.stop();
      }
    },
    // Starting and stopping the server does not eat into the test's own time.
    { timeout: SERVER_FIXTURE_TIMEOUT_MS },
  ],
  baseURL: async ({ fresh }, use) => {
    await use(fresh.baseURL);
  },
});

interface SetupForm {
  setupCode: string;
  organization: string;
  username: string;
  password: string;
}

async function submitSetupForm(page: Page, form: SetupForm): Promise<void> {
  await page.getByLabel("Setup code", { exact: true }).fill(form.setupCode);
  await page.getByLabel("Organization name", { exact: true }).fill(form.organization);
  await page.getByLabel("Username", { exact: true }).fill(form.username);
  await page.getByLabel("Password", { exact: true }).fill(form.password);
  await page.getByLabel("Confirm password", { exact: true }).fill(form.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
}

const isSetupPage = (url: URL) => url.pathname === "/setup";

test("first run creates the first administrator with the setup code", async ({ page, fresh }) => {
  const setupHeading = page.getByRole("heading", { name: "Create the first administrator" });
  const form: SetupForm = {
    setupCode: fresh.setupCode(),
    organization: "Acme Dialers",
    username: "first-admin",
    password: uniquePassword(),
  };
  expect(form.setupCode, "the server writes a setup code on first start").not.toBe("");

  await test.step("with no users, /login sends the visitor to /setup", async () => {
    await page.goto("/login");
    await expect(page).toHaveURL(isSetupPage);
    await expect(setupHeading).toBeVisible();
  });

  await test.step("a wrong setup code is refused", async () => {
    await submitSetupForm(page, { ...form, setupCode: `${form.setupCode}-wrong` });
    await expect(page.getByText("The setup code is not correct.")).toBeVisible();
    await expect(page).toHaveURL(isSetupPage);
    await expect(setupHeading).toBeVisible();
  });

  await test.step("the real setup code creates the administrator and signs them in", async () => {
    await submitSetupForm(page, form);
    await expect(page).toHaveURL((url) => url.pathname === "/admin/integrations");
    // The first organization starts with the integrations flag on.
    await expect(pageHeading(page, "Integrations")).toBeVisible();
    await expect(page.getByRole("heading", { name: "Salesforce" })).toBeVisible();
    await expect(page.getByText(form.username, { exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  });

  await test.step("first run is over", async () => {
    await expect
      .poll(() => fs.existsSync(path.join(fresh.dataDir, "setup-code")), {
        message: "the setup-code file is deleted once the administrator exists",
      })
      .toBe(false);

    // Signed in: /setup is not offered any more.
    await page.goto("/setup");
    await expect(page).not.toHaveURL(isSetupPage);
    await expect(page.getByRole("button", { name: "Create administrator" })).toHaveCount(0);

    // Signed out: /setup sends the visitor to the sign-in page.
    await page.context().clearCookies();
    await page.goto("/setup");
    await expect(page).toHaveURL(isLoginPage);
    await expect(page.getByRole("heading", { name: "Sign in to orgsync" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Create administrator" })).toHaveCount(0);
  });
});
