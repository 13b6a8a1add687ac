/**
 * Signing in and out. Runs hydrated and with JavaScript off: the sign-in and sign-out forms
 * are plain HTML forms and must work before the wasm has loaded.
 */
import { expect, fillSignInForm, isLoginPage, pageHeading, test } from "./fixtures";

test.describe("sign-in", () => {
  test("an anonymous visit to the Admin module ends on the sign-in page", async ({ page }) => {
    await page.goto("/admin/integrations");
    await expect(page).toHaveURL(isLoginPage);
    expect(new URL(page.url()).searchParams.get("next")).toBe("/admin/integrations");
    await expect(page.getByRole("heading", { name: "Sign in to orgsync" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Integrations" })).toHaveCount(0);
  });

  test("a wrong password is refused", async ({ page, app }) => {
    const admin = await app.createAdmin(page, { signIn: false });
    await page.goto("/login");
    await fillSignInForm(page, admin.username, `${admin.password}-wrong`);
    await expect(page.getByText("Invalid username or password.")).toBeVisible();
    await expect(page).toHaveURL(isLoginPage);
    await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  });

  test("an unknown username gets the same answer as a wrong password", async ({ page }) => {
    await page.goto("/login");
    await fillSignInForm(page, "nobody-by-this-name", "whatever-password-123");
    await expect(page.getByText("Invalid username or password.")).toBeVisible();
    await expect(page).toHaveURL(isLoginPage);
  });

  test("the right password lands on Integrations, signed in", async ({ page, app }) => {
    const admin = await app.createAdmin(page, { signIn: false });
    await page.goto("/login");
    await fillSignInForm(page, admin.username, admin.password);
    await expect(page).toHaveURL((url) => url.pathname === "/admin/integrations");
    await expect(pageHeading(page, "Integrations")).toBeVisible();
    await expect(page.getByText(admin.username, { exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  });

  test("sign-in returns to the page asked for (?next=)", async ({ page, app }) => {
    const admin = await app.createAdmin(page, { signIn: false });
    await page.goto("/admin/campaigns");
    await expect(page).toHaveURL(isLoginPage);
    await fillSignInForm(page, admin.username, admin.password);
    await expect(page).toHaveURL((url) => url.pathname === "/admin/campaigns");
    await expect(pageHeading(page, "Campaigns")).toBeVisible();
  });
});

test.describe("sign-out", () => {
  test("Sign out returns to the sign-in page and ends the session", async ({ page, app }) => {
    await app.createAdmin(page);
    await expect(pageHeading(page, "Integrations")).toBeVisible();

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(isLoginPage);
    await expect(page.getByRole("heading", { name: "Sign in to orgsync" })).toBeVisible();

    await page.goto("/admin/integrations");
    await expect(page).toHaveURL(isLoginPage);
    await expect(page.getByRole("heading", { name: "Sign in to orgsync" })).toBeVisible();
  });
});
