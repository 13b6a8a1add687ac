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

test("five wrong passwords lock the username: the sign-in form answers 429 and says to wait", async ({ page, app }) => {
  const admin = await app.createUser({ role: "admin" });
  const loginStatuses: number[] = [];
  page.on("response", (response) => {
    if (new URL(response.url()).pathname === "/auth/login") loginStatuses.push(response.status());
  });

  for (let attempt = 1; attempt <= 5; attempt++) {
    await page.goto("/login");
    await fillSignInForm(page, admin.username, `${admin.password}-wrong-${attempt}`);
    await expect(page.getByText("Invalid username or password.")).toBeVisible();
  }
  // Locked: even the right password is refused until the lock ends. The answer is the form
  // itself (plain HTML, no hydration: its URL is the POST's), so it must show without errors.
  await page.goto("/login");
  await fillSignInForm(page, admin.username, admin.password);
  await expect(page.getByText("Too many failed attempts. Wait up to 15 minutes, then try again.")).toBeVisible();
  expect(loginStatuses.at(-1), `answers of /auth/login: ${loginStatuses.join(", ")}`).toBe(429);
  await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  await expect(page.getByLabel("Username", { exact: true })).toBeVisible();
});
