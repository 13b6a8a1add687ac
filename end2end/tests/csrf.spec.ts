/**
 * Cross-site request forgery: a POST whose Origin is another site is refused, even with a
 * signed-in administrator's cookies, and the session survives it.
 */
import { expect, pageHeading, test } from "./fixtures";

const EVIL_ORIGIN = "http://evil.example";

test("a cross-origin POST to a server function is refused", async ({ page, app }) => {
  await app.createAdmin(page, { integrations: true });

  const response = await page.request.post("/api/integrations_page", {
    headers: { Origin: EVIL_ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
    data: "",
  });
  expect(response.status()).toBe(403);

  // Still signed in and nothing changed.
  await page.goto("/admin/oauth-tokens");
  await expect(pageHeading(page, "OAuth Tokens")).toBeVisible();
});

test("a cross-origin POST to the sign-out form's endpoint is refused", async ({ page, app }) => {
  await app.createAdmin(page, { integrations: true });

  // Wherever the "Sign out" form posts to, a forged copy of it must not work.
  const signOutForm = page.getByRole("button", { name: "Sign out" }).locator("xpath=ancestor::form");
  const action = (await signOutForm.getAttribute("action")) ?? "";
  expect(action, "the Sign out form posts somewhere").not.toBe("");

  const response = await page.request.post(action, {
    headers: { Origin: EVIL_ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
    data: "",
    maxRedirects: 0,
  });
  expect(response.status()).toBe(403);

  await page.goto("/admin/oauth-tokens");
  await expect(pageHeading(page, "OAuth Tokens")).toBeVisible();
});
