/**
 * Org Syncs: the card's status summary (IN-08), the Sync Settings modal (OS-01..OS-09), sync
 * status (ST-01..ST-04) and the troubleshooting texts (TS-01..TS-03), against the real
 * engine and the Salesforce simulator.
 *
 * Runs in both projects. Where the two differ the helpers below take the JavaScript-off path
 * without JavaScript: forms post and the page comes back, Test answers inside the modal
 * instead of a browser alert, the Interval appears once REST Polling is saved, and state
 * changes show after a reload instead of live (ST-05, `org-syncs.hydrate.spec.ts`).
 *
 * The fixture runs the engine fast (`POLL_UNIT_SECS`: a 5 min interval polls every 5 s) with
 * a short circuit cool-down (`CIRCUIT_COOLDOWN_SECS`). Tests on one worker share its
 * simulator, so each test disconnects Salesforce and clears the simulator's faults when it
 * ends: no sync of an earlier test keeps calling the simulator.
 */
import type { Locator, Page, TestInfo } from "@playwright/test";
import {
  CIRCUIT_COOLDOWN_SECS,
  type OrgsyncServer,
  Simulator,
  TIMESTAMP,
  expect,
  pageHeading,
  screenshot,
  test,
  waitForHydration,
  watchHydration,
} from "./fixtures";

const PAGE = "/admin/integrations";
const SYNC_SETTINGS = "/admin/integrations?modal=sync-settings";

/** OS-04, word for word. */
const CDC_REMINDER =
  "CDC (real-time) requires Salesforce Enterprise Edition or higher, with Change Data Capture enabled for the object in Salesforce Setup.";
/** The simulator endpoints a sync reads from (REST polling and CDC). */
const READ_ENDPOINTS = [
  "query",
  "queryAll",
  "query/more",
  "updated",
  "deleted",
  "describe",
  "sobject/read",
  "cometd/handshake",
  "cometd/subscribe",
  "cometd/connect",
];
const WRITE_ENDPOINTS = ["sobject/create", "sobject/update", "sobject/delete"];
/** A Salesforce outage, on every endpoint a REST poll may use. */
const OUTAGE_MESSAGE = "Salesforce is down for maintenance";
const OUTAGE_ENDPOINTS = ["query", "queryAll", "query/more", "describe", "updated", "deleted"];

type SyncObject = "Contact" | "Lead";

const card = (page: Page) => page.getByRole("region", { name: "Salesforce" });
const summary = (page: Page) => card(page).getByRole("table", { name: "Sync status" });
const summaryRow = (page: Page, object: SyncObject) =>
  summary(page).getByRole("row").filter({ has: page.getByRole("rowheader", { name: object, exact: true }) });
const settings = (page: Page) => page.getByRole("dialog", { name: "Sync Settings" });
const addObject = (page: Page) => settings(page).getByRole("region", { name: "Add object" });
const statusOf = (scope: Locator) => scope.locator(".status-label");

/** How many records of `object` the simulated org holds. */
async function recordCount(app: OrgsyncServer, object: SyncObject): Promise<number> {
  const body = (await app.sim.control(`records/${object}`, { method: "GET" })) as unknown[] | { records: unknown[] };
  return Array.isArray(body) ? body.length : body.records.length;
}

/** Calls of the given simulator endpoints so far. */
async function calls(app: OrgsyncServer, endpoints: string[]): Promise<number> {
  const counters = await app.sim.counters();
  return endpoints.reduce((sum, endpoint) => sum + (counters[endpoint] ?? 0), 0);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Drives the Integrations page and the Sync Settings modal, with or without JavaScript. */
class Ui {
  constructor(
    readonly page: Page,
    readonly app: OrgsyncServer,
    /** Whether this project runs JavaScript. */
    readonly js: boolean,
  ) {}

  static async start(page: Page, app: OrgsyncServer, testInfo: TestInfo): Promise<Ui> {
    const js = testInfo.project.use.javaScriptEnabled !== false;
    if (js) await watchHydration(page);
    // A wasm panic (for example a hydration mismatch) would quietly turn the page into its
    // JavaScript-off version; the test fails instead (see afterEach).
    const errors: Error[] = [];
    pageErrors.set(page, errors);
    page.on("pageerror", (error) => errors.push(error));
    await app.createAdmin(page);
    return new Ui(page, app, js);
  }

  row(object: SyncObject): Locator {
    return settings(this.page).getByRole("group", { name: object, exact: true });
  }

  async openPage(): Promise<void> {
    await this.page.goto(PAGE);
    await expect(pageHeading(this.page, "Integrations")).toBeVisible();
    if (this.js) await waitForHydration(this.page);
  }

  async openSettings(): Promise<void> {
    await this.page.goto(SYNC_SETTINGS);
    await expect(settings(this.page)).toBeVisible();
    if (this.js) await waitForHydration(this.page);
  }

  /** Closes the modal with its Done button. */
  async closeSettings(): Promise<void> {
    await settings(this.page).getByRole("link", { name: "Done" }).click();
    await expect(settings(this.page)).toHaveCount(0);
    await expect(pageHeading(this.page, "Integrations")).toBeVisible();
    if (this.js) await waitForHydration(this.page);
  }

  /**
   * Signs in at the simulator through `button` on the card (Set up or Reset Token) and comes
   * back to the Integrations page.
   */
  async signInAtSalesforce(button: "Set up" | "Reset Token"): Promise<void> {
    const { page } = this;
    await this.openPage();
    const opened = page.waitForEvent("popup");
    await card(page).getByRole("button", { name: button, exact: true }).click();
    const popup = await opened;
    await popup.waitForURL(/\/services\/oauth2\/authorize/);
    await popup.getByLabel("Username").fill(Simulator.USERNAME);
    await popup.getByLabel("Password").fill(Simulator.PASSWORD);
    if (this.js) {
      // The popup closes itself and the page reloads with the outcome.
      const closed = popup.waitForEvent("close");
      await popup.getByRole("button", { name: "Allow", exact: true }).click();
      await closed;
      await expect(page).toHaveURL(/salesforce=(connected|token-replaced)$/);
    } else {
      await popup.getByRole("button", { name: "Allow", exact: true }).click();
      await expect(popup.getByRole("link", { name: "Back to Integrations" })).toBeVisible();
      await popup.close();
    }
    await this.openPage();
    await expect(card(page).locator(".connected-panel")).toBeVisible();
  }

  connect(): Promise<void> {
    return this.signInAtSalesforce("Set up");
  }

  /** Disconnect through the card's confirmation. */
  async disconnect(): Promise<void> {
    const { page } = this;
    await this.openPage();
    await card(page).getByRole("link", { name: "Disconnect" }).click();
    await page.getByRole("dialog", { name: "Disconnect Salesforce" }).getByRole("button", { name: "Disconnect" }).click();
    await expect(page).toHaveURL(/salesforce=disconnected$/);
    await expect(card(page).getByRole("button", { name: "Set up" })).toBeVisible();
  }

  /**
   * Presses a form's submit button and waits until the server function answered: with
   * JavaScript the form posts in the background; without, the browser comes back to the page.
   */
  async submit(button: Locator, endpoint: string): Promise<void> {
    if (this.js) {
      const answered = this.page.waitForResponse(
        (response) => new URL(response.url()).pathname === `/api/${endpoint}` && response.request().method() === "POST",
      );
      await button.click();
      await answered;
    } else {
      const loaded = this.page.waitForEvent("load");
      await button.click();
      await loaded;
    }
  }

  /** Add object (OS-02), from the open modal. */
  async add(object: SyncObject): Promise<void> {
    await this.submit(addObject(this.page).getByRole("button", { name: object }), "add_org_sync");
    await expect(this.row(object)).toBeVisible();
  }

  /** Save on a row. */
  async save(object: SyncObject): Promise<void> {
    await this.submit(this.row(object).getByRole("button", { name: "Save" }), "save_org_sync");
    await expect(this.row(object)).toBeVisible();
  }

  /**
   * Sets a row's Method, Interval and switch and saves it. Without JavaScript the Interval only
   * shows once REST Polling is saved, so a switch to REST with an interval saves twice (the
   * way the modal's hint tells an administrator to).
   */
  async configure(
    object: SyncObject,
    settings: { method?: "cdc" | "rest"; interval?: 5 | 10 | 15 | 30; enabled?: boolean },
  ): Promise<void> {
    const row = this.row(object);
    if (settings.method) {
      await row.getByLabel("Method").selectOption(settings.method);
    }
    if (settings.interval !== undefined) {
      if (!this.js && (await row.getByLabel("Interval").isHidden())) {
        await this.save(object);
      }
      await row.getByLabel("Interval").selectOption({ label: `${settings.interval} min` });
    }
    if (settings.enabled !== undefined) {
      await row.getByRole("switch", { name: "Enabled" }).setChecked(settings.enabled);
    }
    await this.save(object);
  }

  /** A REST Polling sync at 5 min (5 s here), on, saved. */
  async startRestSync(object: SyncObject): Promise<void> {
    await this.configure(object, { method: "rest", interval: 5, enabled: true });
  }

  /** Test (OS-08): the browser alert's text with JavaScript, the modal's answer without. */
  async test(object: SyncObject): Promise<string> {
    const link = this.row(object).getByRole("link", { name: "Test" });
    if (this.js) {
      // The alert blocks the page, so the click may not finish before the alert is accepted:
      // accept it in the handler itself, and wait for both.
      const answered = new Promise<string>((resolve, reject) => {
        this.page.once("dialog", (dialog) => {
          const type = dialog.type();
          const message = dialog.message();
          dialog.accept().then(
            () => (type === "alert" ? resolve(message) : reject(new Error(`a ${type} dialog, not an alert`))),
            reject,
          );
        });
      });
      const [message] = await Promise.all([answered, link.click()]);
      // The link's own address is only for pages without JavaScript.
      await expect(this.page).not.toHaveURL(/[?&]test=/);
      return message;
    }
    await link.click();
    const answer = settings(this.page).locator("[data-test-result]");
    await expect(answer).toBeVisible();
    return (await answer.locator("p").innerText()).trim();
  }

  /**
   * Waits until `check` passes for the row of `object`: with JavaScript the page follows the
   * live status stream by itself; without, it is reloaded until it shows the change.
   */
  async waitForRow(object: SyncObject, check: (row: Locator) => Promise<void>, timeout = 30_000): Promise<void> {
    if (this.js) {
      await expect(async () => check(this.row(object))).toPass({ timeout });
      return;
    }
    await expect(async () => {
      await this.page.reload();
      await check(this.row(object));
    }).toPass({ timeout, intervals: [500, 1_000] });
  }

  /** The same for the card's summary. */
  async waitForSummary(check: () => Promise<void>, timeout = 30_000): Promise<void> {
    if (this.js) {
      await expect(async () => check()).toPass({ timeout });
      return;
    }
    await expect(async () => {
      await this.page.reload();
      await check();
    }).toPass({ timeout, intervals: [500, 1_000] });
  }

  /** Faults every endpoint a REST poll uses until `clearFaults`, and waits for Circuit open. */
  async openCircuit(object: SyncObject): Promise<void> {
    for (const endpoint of OUTAGE_ENDPOINTS) {
      await this.app.sim.fault({
        endpoint,
        kind: "fail",
        status: 503,
        error_code: "SERVER_UNAVAILABLE",
        message: OUTAGE_MESSAGE,
      });
    }
    // Five failed polls, 5 s apart.
    await this.waitForRow(
      object,
      async (row) => {
        await expect(statusOf(row)).toHaveText("Circuit open", { timeout: 1_000 });
      },
      60_000,
    );
  }
}

/** Uncaught errors of each test's page. */
const pageErrors = new Map<Page, Error[]>();

test.afterEach(async ({ page, app }) => {
  const errors = pageErrors.get(page) ?? [];
  pageErrors.delete(page);
  // Stop this test's syncs and heal the simulator: the next test on this worker shares it,
  // and a sync left running would use up its faults and add to its call counters.
  const disconnected = await page.request.post("/api/disconnect_salesforce", {
    headers: { Origin: app.baseURL, "Content-Type": "application/x-www-form-urlencoded" },
    data: "",
    maxRedirects: 0,
  });
  await app.sim.clearFaults().catch(() => undefined);
  expect(disconnected.status(), `Disconnect after the test: ${await disconnected.text()}`).toBeLessThan(400);
  expect(errors.map((error) => error.message), "no uncaught errors in the page").toEqual([]);
});

test("IN-08 the card summarizes each object's status, method and switch", async ({ page, app }, testInfo) => {
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  const empty = card(page).getByText("No Salesforce objects are synchronized yet.");
  await expect(empty).toBeVisible();
  await expect(summary(page)).toHaveCount(0);

  await ui.openSettings();
  await ui.add("Contact");
  await ui.add("Lead");
  await ui.startRestSync("Lead");
  await ui.closeSettings();

  await expect(summary(page).getByRole("columnheader")).toHaveText(["Object", "Status", "Method", "Enabled"]);
  const contact = summaryRow(page, "Contact");
  await expect(contact.getByRole("cell")).toHaveText(["Paused", "CDC", "Off"]);
  await ui.waitForSummary(async () => {
    await expect(summaryRow(page, "Lead").getByRole("cell")).toHaveText(["Active", "REST", "On"], { timeout: 1_000 });
  });
  // Object order: Contact, then Lead.
  await expect(summary(page).getByRole("rowheader")).toHaveText(["Contact", "Lead"]);
  await screenshot(page, "integrations-sync-summary", testInfo);
});

test("OS-01 Sync Settings opens a modal with one row per Org Sync", async ({ page, app }, testInfo) => {
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  // The button sits between Reset Token and Disconnect.
  const bar = card(page).locator(".card-actions");
  const actions = bar.getByRole("button").or(bar.getByRole("link"));
  await expect(actions).toHaveText(["Reset Token", "Sync Settings", "Disconnect"]);

  await card(page).getByRole("link", { name: "Sync Settings" }).click();
  await expect(page).toHaveURL(/\?modal=sync-settings$/);
  await expect(settings(page)).toBeVisible();
  await expect(settings(page).getByText("No objects are synchronized yet")).toBeVisible();
  if (ui.js) await waitForHydration(page);
  await ui.add("Contact");
  await ui.add("Lead");
  await expect(settings(page).getByRole("group")).toHaveCount(2);
  await expect(ui.row("Contact").getByRole("heading")).toHaveText("Contact");
  await expect(ui.row("Lead").getByRole("heading")).toHaveText("Lead");
  await screenshot(page, "sync-settings-two-rows", testInfo);

  // The close (x) link leads back to the card.
  await settings(page).getByRole("link", { name: "Close" }).click();
  await expect(settings(page)).toHaveCount(0);
  await expect(page).toHaveURL((url) => url.pathname === PAGE && url.search === "");
});

test("OS-02 Add object creates a disabled CDC sync and pulls nothing", async ({ page, app }, testInfo) => {
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await expect(addObject(page).getByRole("button")).toHaveText(["Contact", "Lead"]);
  await screenshot(page, "sync-settings-empty", testInfo);

  const before = await calls(app, READ_ENDPOINTS);
  await ui.add("Contact");
  const row = ui.row("Contact");
  await expect(row.getByLabel("Method")).toHaveValue("cdc");
  await expect(row.getByLabel("Method").locator("option:checked")).toHaveText("CDC (real-time)");
  await expect(row.getByRole("switch", { name: "Enabled" })).not.toBeChecked();
  await expect(statusOf(row)).toHaveText("Paused");
  await expect(row.locator(".sync-last")).toHaveText("Never");
  // Only objects not configured yet are offered.
  await expect(addObject(page).getByRole("button")).toHaveText(["Lead"]);

  await ui.add("Lead");
  await expect(addObject(page)).toHaveCount(0);
  await sleep(2_000);
  expect(await calls(app, READ_ENDPOINTS), "a disabled sync calls nothing").toBe(before);
});

test("OS-03 Method and Interval: the interval only for REST Polling, CDC sets the channel", async ({ page, app }, testInfo) => {
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  const row = ui.row("Contact");
  const method = row.getByLabel("Method");
  await expect(method.locator("option")).toHaveText(["CDC (real-time)", "REST Polling"]);
  expect(await method.locator("option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual([
    "cdc",
    "rest",
  ]);
  await expect(row.getByLabel("Interval")).toBeHidden();
  await expect(row.getByText("/data/ContactChangeEvent")).toBeVisible();

  await method.selectOption("rest");
  if (ui.js) {
    // With JavaScript the Interval follows the select at once.
    await expect(row.getByLabel("Interval")).toBeVisible();
  } else {
    // Playwright's text matchers skip <noscript>, even where it is shown; read it directly.
    const hint = await settings(page).locator("noscript").evaluate((element) => element.textContent ?? "");
    expect(hint).toContain("Interval");
    await ui.save("Contact");
  }
  const interval = row.getByLabel("Interval");
  await expect(interval).toBeVisible();
  await expect(interval.locator("option")).toHaveText(["5 min", "10 min", "15 min", "30 min"]);
  await expect(row.getByText("/data/ContactChangeEvent")).toBeHidden();
  await interval.selectOption({ label: "15 min" });
  await ui.save("Contact");
  await screenshot(page, "sync-settings-rest", testInfo);

  // Saved: a fresh page shows REST Polling every 15 min.
  await ui.openSettings();
  await expect(row.getByLabel("Method")).toHaveValue("rest");
  await expect(row.getByLabel("Interval")).toHaveValue("15");

  // Back to CDC: the channel is the object's.
  await ui.configure("Contact", { method: "cdc" });
  await ui.openSettings();
  await expect(row.getByLabel("Method")).toHaveValue("cdc");
  await expect(row.getByLabel("Interval")).toBeHidden();
  await expect(row.locator(".sync-channel")).toHaveText("/data/ContactChangeEvent");
});

test("OS-04 CDC shows the Enterprise Edition reminder", async ({ page, app }, testInfo) => {
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Lead");
  const row = ui.row("Lead");
  const reminder = row.getByText(CDC_REMINDER, { exact: true });
  await expect(reminder).toBeVisible();

  await ui.configure("Lead", { method: "rest" });
  await expect(row.getByLabel("Method")).toHaveValue("rest");
  await expect(reminder).toBeHidden();

  await row.getByLabel("Method").selectOption("cdc");
  if (!ui.js) await ui.save("Lead");
  await expect(reminder).toBeVisible();
});

test("OS-05 the switch and Save pause and resume a sync", async ({ page, app }, testInfo) => {
  test.setTimeout(120_000);
  const ui = await Ui.start(page, app, testInfo);
  // Enough Leads for a first backfill of several pages, slowed down so its progress shows.
  await app.sim.control("generate/records", { body: { object: "Lead", count: 4_000 } });
  await app.sim.fault({ endpoint: "query/more", kind: "latency", latency_ms: 1_500, count: 2 });
  await ui.connect();
  await ui.openSettings();
  await ui.add("Lead");
  const row = ui.row("Lead");
  await ui.startRestSync("Lead");
  await expect(row.getByRole("switch", { name: "Enabled" })).toBeChecked();

  // The first read is a backfill, with its progress.
  await ui.waitForRow("Lead", async (row) => {
    await expect(row.getByRole("progressbar", { name: "Initial import progress" })).toBeVisible({ timeout: 500 });
  });
  await expect(row.getByText(/^[\d,]+ of [\d,]+ records$/)).toBeVisible();
  await screenshot(page, "sync-settings-backfill", testInfo);
  await ui.waitForRow("Lead", async (row) => {
    await expect(statusOf(row)).toHaveText("Active", { timeout: 1_000 });
    await expect(row.locator(".sync-last")).toHaveText(TIMESTAMP, { timeout: 1_000 });
    await expect(row.getByRole("progressbar")).toHaveCount(0);
  }, 60_000);

  // Off: Paused at once, and no more calls to Salesforce.
  await ui.configure("Lead", { enabled: false });
  await ui.waitForRow("Lead", async (row) => {
    await expect(statusOf(row)).toHaveText("Paused", { timeout: 1_000 });
  });
  await sleep(1_000);
  const paused = await calls(app, READ_ENDPOINTS);
  await sleep(7_000); // longer than the 5 s interval
  expect(await calls(app, READ_ENDPOINTS), "a paused sync calls nothing").toBe(paused);

  // On again: it resumes.
  await ui.configure("Lead", { enabled: true });
  await ui.waitForRow("Lead", async (row) => {
    await expect(statusOf(row)).toHaveText("Active", { timeout: 1_000 });
  });
  await expect.poll(() => calls(app, READ_ENDPOINTS), { timeout: 15_000 }).toBeGreaterThan(paused);
});

test("OS-06 the object of an Org Sync cannot be changed", async ({ page, app }, testInfo) => {
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  const row = ui.row("Contact");
  // No control for it: the object is the row's heading.
  await expect(row.getByRole("heading", { name: "Contact" })).toBeVisible();
  await expect(row.locator('[name="object"]')).toHaveCount(0);
  // Method only (Interval is hidden while CDC is selected).
  await expect(row.getByRole("combobox")).toHaveCount(1);
  await expect(row.getByRole("textbox")).toHaveCount(0);

  // The server refuses it too: a forged Save naming another object changes nothing, and a
  // second Contact cannot be added.
  const id = await row.getAttribute("data-sync-id");
  const headers = { Origin: app.baseURL, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
  await page.request.post("/api/save_org_sync", {
    headers,
    data: `id=${id}&method=cdc&object=Lead`,
    maxRedirects: 0,
  });
  const again = await page.request.post("/api/add_org_sync", { headers, data: "object=Contact", maxRedirects: 0 });
  expect(again.ok(), "adding Contact twice is refused").toBe(false);
  const unknown = await page.request.post("/api/add_org_sync", { headers, data: "object=Account", maxRedirects: 0 });
  expect(unknown.ok(), "an unsupported object is refused").toBe(false);

  await ui.openSettings();
  await expect(settings(page).getByRole("group")).toHaveCount(1);
  await expect(ui.row("Contact")).toHaveAttribute("data-sync-id", id ?? "");
  await expect(addObject(page).getByRole("button")).toHaveText(["Lead"]);
});

test("OS-07 remove asks first, then removes the sync", async ({ page, app }, testInfo) => {
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  await ui.add("Lead");

  await ui.row("Contact").getByRole("link", { name: "Remove Contact sync" }).click();
  const confirm = page.getByRole("dialog", { name: "Remove Contact sync" });
  await expect(confirm).toBeVisible();
  await expect(confirm.locator(".confirm-prompt")).toHaveText(
    "Remove Contact sync? This will also remove any data sources linked to this object.",
  );
  await screenshot(page, "sync-settings-remove-confirm", testInfo);

  // Cancel keeps it.
  await confirm.getByRole("link", { name: "Cancel" }).click();
  await expect(confirm).toHaveCount(0);
  await expect(ui.row("Contact")).toBeVisible();

  await ui.row("Contact").getByRole("link", { name: "Remove Contact sync" }).click();
  await ui.submit(confirm.getByRole("button", { name: "Remove" }), "remove_org_sync");
  await expect(confirm).toHaveCount(0);
  await expect(ui.row("Contact")).toHaveCount(0);
  await expect(ui.row("Lead")).toBeVisible();
  // Contact can be added again; the card's summary no longer lists it.
  await expect(addObject(page).getByRole("button")).toHaveText(["Contact"]);
  await ui.closeSettings();
  await expect(summary(page).getByRole("rowheader")).toHaveText(["Lead"]);
});

test("OS-08 Test queries the object, changes nothing and answers in an alert", async ({ page, app }, testInfo) => {
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  const row = ui.row("Contact");

  const queries = await calls(app, ["query"]);
  const writes = await calls(app, WRITE_ENDPOINTS);
  const records = await recordCount(app, "Contact");
  expect(await ui.test("Contact")).toBe("Connection successful");
  expect(await calls(app, ["query"])).toBe(queries + 1);
  expect(await calls(app, WRITE_ENDPOINTS)).toBe(writes);
  expect(await recordCount(app, "Contact")).toBe(records);
  if (!ui.js) await screenshot(page, "sync-settings-test-success", testInfo);
  // The sync itself is untouched.
  await ui.openSettings();
  await expect(statusOf(row)).toHaveText("Paused");
  await expect(row.locator(".sync-last")).toHaveText("Never");

  // A Salesforce error is shown as Salesforce wrote it.
  await app.sim.fault({
    endpoint: "query",
    kind: "fail",
    status: 403,
    error_code: "INSUFFICIENT_ACCESS",
    message: "insufficient access rights on object id",
    count: 1,
  });
  expect(await ui.test("Contact")).toContain("insufficient access rights on object id");
  if (!ui.js) await screenshot(page, "sync-settings-test-failure", testInfo);
});

test("OS-09 a successful Test does not close an open circuit", async ({ page, app }, testInfo) => {
  test.setTimeout(150_000);
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  await ui.startRestSync("Contact");
  await ui.openCircuit("Contact");

  await app.sim.clearFaults();
  expect(await ui.test("Contact")).toBe("Connection successful");
  await ui.openSettings();
  await expect(statusOf(ui.row("Contact"))).toHaveText("Circuit open");
  await sleep(2_000);
  await ui.openSettings();
  await expect(statusOf(ui.row("Contact"))).toHaveText("Circuit open");
});

test("ST-01 each row and the summary show the state with its dot", async ({ page, app }, testInfo) => {
  test.setTimeout(90_000);
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  await ui.add("Lead");
  await ui.startRestSync("Lead");

  const dot = (object: SyncObject) => ui.row(object).locator(".status-dot");
  await expect(statusOf(ui.row("Contact"))).toHaveText("Paused");
  await expect(dot("Contact")).toHaveClass(/status-paused/);
  await ui.waitForRow("Lead", async (row) => {
    await expect(statusOf(row)).toHaveText("Active", { timeout: 1_000 });
  });
  await expect(dot("Lead")).toHaveClass(/status-active/);
  // Green.
  await expect(dot("Lead")).toHaveCSS("background-color", "rgb(21, 128, 61)");

  // An authentication failure stops the sync in Error.
  await app.sim.control("tokens/revoke-refresh");
  await ui.waitForRow("Lead", async (row) => {
    await expect(statusOf(row)).toHaveText("Error", { timeout: 1_000 });
  });
  await expect(dot("Lead")).toHaveClass(/status-error/);
  await expect(dot("Lead")).toHaveCSS("background-color", "rgb(198, 40, 40)");
  await screenshot(page, "sync-settings-paused-and-error", testInfo);

  await ui.closeSettings();
  await expect(summaryRow(page, "Contact").getByRole("cell").first()).toHaveText("Paused");
  await expect(summaryRow(page, "Lead").getByRole("cell").first()).toHaveText("Error");
  await screenshot(page, "integrations-sync-summary-error", testInfo);
});

test("ST-02 each row shows Last sync and a running total of errors", async ({ page, app }, testInfo) => {
  test.setTimeout(90_000);
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  const row = ui.row("Contact");
  await expect(row.locator(".sync-last")).toHaveText("Never");
  await expect(row.getByText(/^Errors: /)).toHaveCount(0);

  await ui.startRestSync("Contact");
  await ui.waitForRow("Contact", async (row) => {
    await expect(row.locator(".sync-last")).toHaveText(TIMESTAMP, { timeout: 1_000 });
  });
  await expect(row.getByText(/^Errors: /)).toHaveCount(0);

  // One failed poll (a poll reads through queryAll): counted, still Active (below the
  // circuit's five).
  await app.sim.fault({
    endpoint: "queryAll",
    kind: "fail",
    status: 503,
    error_code: "SERVER_UNAVAILABLE",
    message: OUTAGE_MESSAGE,
  });
  await ui.waitForRow("Contact", async (row) => {
    await expect(row.getByText("Errors: 1", { exact: true })).toBeVisible({ timeout: 1_000 });
  });
  // Healed at once (the next poll is 5 s away). Not a one-call fault: the simulator is
  // shared by this worker's tests, and a call of any other sync would use it up.
  await app.sim.clearFaults();
  await expect(statusOf(row)).toHaveText("Active");
  const lastSync = await row.locator(".sync-last").innerText();
  // The next poll succeeds: Last sync moves on, the total stays.
  await ui.waitForRow("Contact", async (row) => {
    await expect(row.locator(".sync-last")).not.toHaveText(lastSync, { timeout: 1_000 });
  });
  await expect(row.getByText("Errors: 1", { exact: true })).toBeVisible();
  await screenshot(page, "sync-settings-error-total", testInfo);
});

test("ST-03 in Error the row turns red and shows the last error", async ({ page, app }, testInfo) => {
  test.setTimeout(90_000);
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  await ui.startRestSync("Contact");
  const row = ui.row("Contact");
  await ui.waitForRow("Contact", async (row) => {
    await expect(row.locator(".sync-last")).toHaveText(TIMESTAMP, { timeout: 1_000 });
  });
  await expect(row).not.toHaveClass(/sync-row-failing/);
  await expect(row.locator(".sync-error")).toHaveCount(0);

  await app.sim.control("tokens/revoke-refresh");
  await ui.waitForRow("Contact", async (row) => {
    await expect(statusOf(row)).toHaveText("Error", { timeout: 1_000 });
  });
  await expect(row).toHaveClass(/sync-row-failing/);
  await expect(row).toHaveCSS("background-color", "rgb(253, 240, 240)");
  const lastError = row.locator(".sync-error");
  await expect(lastError).toBeVisible();
  await expect(lastError).toContainText("Last error");
  expect((await lastError.innerText()).replace("Last error", "").trim().length).toBeGreaterThan(0);
  await expect(row.getByText(/^Errors: [1-9]/)).toBeVisible();
  await screenshot(page, "sync-settings-error", testInfo);
});

test("ST-04 five failures open the circuit; calls stop; a later poll closes it", async ({ page, app }, testInfo) => {
  test.setTimeout(150_000);
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  await ui.startRestSync("Contact");
  await ui.waitForRow("Contact", async (row) => {
    await expect(row.locator(".sync-last")).toHaveText(TIMESTAMP, { timeout: 1_000 });
  });

  await ui.openCircuit("Contact");
  const row = ui.row("Contact");
  await expect(row).toHaveClass(/sync-row-failing/);
  await expect(row.locator(".sync-error")).toContainText(OUTAGE_MESSAGE);
  const errors = Number((await row.getByText(/^Errors: \d+$/).innerText()).replace("Errors: ", ""));
  expect(errors).toBeGreaterThanOrEqual(5);
  await screenshot(page, "sync-settings-circuit-open", testInfo);

  // While open, nothing calls Salesforce (longer than the 5 s interval, within the cool-down).
  const open = await calls(app, OUTAGE_ENDPOINTS);
  await sleep(6_000);
  expect(await calls(app, OUTAGE_ENDPOINTS), "no calls while the circuit is open").toBe(open);

  // Salesforce is back: after the cool-down the next poll succeeds and the sync is Active by itself.
  await app.sim.clearFaults();
  await ui.waitForRow(
    "Contact",
    async (row) => {
      await expect(statusOf(row)).toHaveText("Active", { timeout: 1_000 });
    },
    (CIRCUIT_COOLDOWN_SECS + 20) * 1_000,
  );
  await expect(row).not.toHaveClass(/sync-row-failing/);
  await expect(row.locator(".sync-error")).toHaveCount(0);
});

test("TS-01 Test without a connection says no token was found", async ({ page, app }, testInfo) => {
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  await ui.disconnect();

  // The modal stays reachable by its address.
  await ui.openSettings();
  expect(await ui.test("Contact")).toBe("No Salesforce OAuth token found");
  if (!ui.js) await screenshot(page, "sync-settings-test-no-token", testInfo);
});

test("TS-02 after an authentication failure, Reset Token brings the sync back", async ({ page, app }, testInfo) => {
  test.setTimeout(120_000);
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Contact");
  await ui.startRestSync("Contact");
  await ui.waitForRow("Contact", async (row) => {
    await expect(statusOf(row)).toHaveText("Active", { timeout: 1_000 });
  });

  await app.sim.control("tokens/revoke-refresh");
  await ui.waitForRow("Contact", async (row) => {
    await expect(statusOf(row)).toHaveText("Error", { timeout: 1_000 });
  });

  await ui.signInAtSalesforce("Reset Token");
  await ui.openSettings();
  await ui.waitForRow("Contact", async (row) => {
    await expect(statusOf(row)).toHaveText("Active", { timeout: 1_000 });
  });
  await expect(ui.row("Contact")).not.toHaveClass(/sync-row-failing/);
});

test("TS-03 an open circuit clears on a scheduled poll, never on Test", async ({ page, app }, testInfo) => {
  test.setTimeout(150_000);
  const ui = await Ui.start(page, app, testInfo);
  await ui.connect();
  await ui.openSettings();
  await ui.add("Lead");
  await ui.startRestSync("Lead");
  await ui.openCircuit("Lead");

  // While Salesforce still fails, Test says so and the circuit stays open.
  expect(await ui.test("Lead")).toContain(OUTAGE_MESSAGE);
  await app.sim.clearFaults();
  // Now Test succeeds, and still the circuit stays open...
  expect(await ui.test("Lead")).toBe("Connection successful");
  await ui.openSettings();
  await expect(statusOf(ui.row("Lead"))).toHaveText("Circuit open");
  // Test reads through `query`; a scheduled poll through `queryAll`.
  const beforePoll = await calls(app, ["queryAll"]);
  // ...until the next scheduled poll after the cool-down.
  await ui.waitForRow(
    "Lead",
    async (row) => {
      await expect(statusOf(row)).toHaveText("Active", { timeout: 1_000 });
    },
    (CIRCUIT_COOLDOWN_SECS + 20) * 1_000,
  );
  expect(await calls(app, ["queryAll"]), "a scheduled poll closed the circuit").toBeGreaterThan(beforePoll);
});
