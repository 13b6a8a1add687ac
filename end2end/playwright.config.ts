import { defineConfig, type PlaywrightTestOptions, type Project } from "@playwright/test";

/**
 * Playwright configuration for the orgsync end-to-end suite.
 *
 * The suite drives the REAL release binary: each worker starts its own `orgsync serve` on a
 * free port with a fresh data directory (see `tests/fixtures.ts`), so there is no `webServer`
 * entry and no `baseURL` here; the `app` fixture provides `baseURL`.
 *
 * Browsers: we never let Playwright download its own browsers. Install the dependencies with
 *
 *     PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci
 *
 * and the suite uses the system Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH` if set).
 *
 * Every spec runs twice (STYLE.md point 18, after lemmy-ui-leptos):
 * - `hydrated`: JavaScript on, the wasm bundle hydrates the page; runs every spec.
 * - `ssr`: JavaScript off, proving sign-in, navigation and forms work before hydration;
 *   skips `*.hydrate.spec.ts`, which test what only works once the wasm is running.
 * - `*.nojs.spec.ts` run in `ssr` only: flows that differ without JavaScript.
 */

type ProjectDefinition = Project<PlaywrightTestOptions>;

/** A project running the given specs with the shared `use` settings plus `use`. */
const createProject = (
  name: string,
  use: ProjectDefinition["use"] = {},
  extra: Omit<ProjectDefinition, "name" | "use"> = {},
): ProjectDefinition => ({ name, use, ...extra });

/** The JS-off twin of a project: same options, no JavaScript, no `*.hydrate.spec.ts`. */
const ssr = (name: string): ProjectDefinition =>
  createProject(name, { javaScriptEnabled: false }, { testIgnore: /hydrate/ });

export default defineConfig({
  testDir: "tests",
  // Fail the CI build if a `test.only` slipped in.
  forbidOnly: !!process.env.CI,
  // No retries: a test that passes only on its second try is a failing test.
  retries: 0,
  // Each worker owns one orgsync server; two keep the machine responsive.
  workers: 2,
  reporter: "list",
  use: {
    headless: true,
    trace: "on-first-retry",
    launchOptions: {
      // System Chromium; browsers are never downloaded (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-gpu",
        "--no-first-run",
      ],
    },
  },
  // `*.nojs.spec.ts` test what only happens without JavaScript (a sign-in tab instead of a popup).
  projects: [createProject("hydrated", {}, { testIgnore: /\.nojs\./ }), ssr("ssr")],
});
