/**
 * IN-01: the Admin module (and the Integrations page with it) is for organization
 * administrators only. Viewers are refused, in the page and in the server functions behind it.
 */
import { expect, pageHeading, signIn, test } from "./fixtures";

const ADMIN_PAGES = ["/admin/integrations", "/admin/oauth-tokens", "/admin/campaigns"];

test("IN-01 viewer is refused the Admin module", async ({ page, app }) => {
  // The organization has the flag on: the refusal is about the role, not the flag.
  const org = await app.createOrg({ integrations: true });
  const viewer = await app.createUser({ role: "viewer", org });
  await signIn(page, viewer.username, viewer.password);

  for (const url of ADMIN_PAGES) {
    await test.step(url, async () => {
      const response = await page.goto(url);
      expect(response?.status(), `${url} answers 403 Forbidden`).toBe(403);
      await expect(pageHeading(page, "Not allowed")).toBeVisible();
      await expect(page.getByText("Your account does not have access to the Admin module.")).toBeVisible();
      // Neither the card nor its data reach the page (serialized resources included).
      await expect(page.locator("body")).not.toContainText("Salesforce");
      await expect(page.getByRole("link", { name: "Integrations" })).toHaveCount(0);
    });
  }
});

test("IN-01 viewer's server-function call is refused", async ({ page, app, baseURL }) => {
  const viewer = await app.createUser({ role: "viewer" });
  await signIn(page, viewer.username, viewer.password);

  // page.request shares the browser context's cookies: this is the viewer's session.
  const response = await page.request.post("/api/integrations_page", {
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: baseURL! },
    data: "",
  });
  expect(response.ok(), `POST /api/integrations_page as viewer answered ${response.status()}`).toBe(false);
  expect((await response.text()).toLowerCase()).not.toContain("salesforce");
});

test("IN-01 anonymous server-function call is refused", async ({ request, baseURL }) => {
  const response = await request.post("/api/integrations_page", {
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: baseURL! },
    data: "",
  });
  expect(response.ok(), `anonymous POST /api/integrations_page answered ${response.status()}`).toBe(false);
});

test("IN-01 the same server-function call succeeds for an administrator (control)", async ({
  page,
  app,
  baseURL,
}) => {
  // Proves the endpoint exists and the request is well-formed, so the refusals above are
  // about who asks and not about a wrong path.
  await app.createAdmin(page, { integrations: true });
  const response = await page.request.post("/api/integrations_page", {
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: baseURL! },
    data: "",
  });
  expect(response.status(), await response.text()).toBe(200);
});
