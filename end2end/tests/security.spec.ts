/**
 * Web security rules seen from a browser: signing in never leaves this site, whatever
 * `?next=` says. (Every test also runs under the Content-Security-Policy and fails on any
 * violation or console error, see `failOnBrowserErrors` in fixtures.ts.)
 */
import { expect, fillSignInForm, isLoginPage, pageHeading, test } from "./fixtures";

test("sign-in with ?next=/<TAB>/evil.example stays on orgsync (no open redirect)", async ({ page, app }) => {
  const admin = await app.createUser({ role: "admin" });
  const offSite: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== app.baseURL) offSite.push(request.url());
  });

  // Browsers drop TABs from a Location header: `/\t/evil.example` becomes `//evil.example`.
  await page.goto("/login?next=%2F%09%2Fevil.example");
  await fillSignInForm(page, admin.username, admin.password);
  await expect(page).not.toHaveURL(isLoginPage);

  expect(offSite, "requests to other sites").toEqual([]);
  expect(new URL(page.url()).origin, `signed in, the browser is at ${page.url()}`).toBe(app.baseURL);
  await expect(pageHeading(page, "Integrations")).toBeVisible();
});
