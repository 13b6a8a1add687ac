/**
 * Things that only work once the wasm bundle has hydrated the server-rendered page. The `ssr`
 * project (JavaScript off) skips this file.
 */
import { adminNav, expect, pageHeading, test, waitForHydration, watchHydration } from "./fixtures";

test.beforeEach(async ({ page }) => {
  await watchHydration(page);
});

/** Uncaught errors in the page (a wasm panic or a hydration mismatch surfaces as one). */
function collectPageErrors(page: import("@playwright/test").Page): Error[] {
  const errors: Error[] = [];
  page.on("pageerror", (error) => errors.push(error));
  return errors;
}

test("the Show password button toggles the password field", async ({ page }) => {
  const errors = collectPageErrors(page);

  await page.goto("/login");
  const password = page.getByLabel("Password", { exact: true });
  await expect(password).toHaveAttribute("type", "password");
  await waitForHydration(page);

  await page.getByRole("button", { name: "Show password" }).click();
  await expect(password).toHaveAttribute("type", "text");
  await expect(page.getByRole("button", { name: "Hide password" })).toBeVisible();

  await page.getByRole("button", { name: "Hide password" }).click();
  await expect(password).toHaveAttribute("type", "password");
  await expect(page.getByRole("button", { name: "Show password" })).toBeVisible();

  expect(errors, "no uncaught errors while hydrating").toEqual([]);
});

test("sidebar links navigate client-side", async ({ page, app }) => {
  await app.createAdmin(page, { integrations: true });
  const errors = collectPageErrors(page);

  await page.goto("/admin/integrations");
  await expect(pageHeading(page, "Integrations")).toBeVisible();
  await waitForHydration(page);
  // A full page load would lose this marker; the client-side router keeps the document.
  await page.evaluate(() => {
    (window as unknown as { __e2eSameDocument?: boolean }).__e2eSameDocument = true;
  });

  await adminNav(page).getByRole("link", { name: "OAuth Tokens" }).click();
  await expect(page).toHaveURL((url) => url.pathname === "/admin/oauth-tokens");
  await expect(pageHeading(page, "OAuth Tokens")).toBeVisible();
  expect(
    await page.evaluate(() => (window as unknown as { __e2eSameDocument?: boolean }).__e2eSameDocument),
    "navigation happened without a full page load",
  ).toBe(true);

  expect(errors, "no uncaught errors while hydrating or navigating").toEqual([]);
});
