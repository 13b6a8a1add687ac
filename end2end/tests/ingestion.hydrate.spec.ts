/**
 * Ingestion (IG-01..IG-04): how changes in Salesforce reach the campaigns, seen where an
 * administrator sees them (the campaign's records and Dial-readiness card, the Data Source
 * preview, the Sync Settings row) and checked against the simulator's control API (its
 * records, its call counters).
 *
 * JavaScript only (the `ssr` project skips this file): the Data Source editor needs it, and
 * the campaign page is watched following Salesforce live, without a reload.
 *
 * Several tests give their changes a SystemModstamp older than every record of the simulated
 * org (the control API's `?stamp=`). No REST read can find such a change once the sync has a
 * watermark (a poll reads from the watermark less its overlap of minutes): a CDC sync can only
 * have it from the change event. That is how these tests tell "arrived by CDC" (IG-01) and
 * "replayed from the stored replay id" (IG-04) from a REST catch-up.
 *
 * Every test builds its own organization, sync, Data Source and campaign; expectations come
 * from the simulator's records, read at the time of the test (earlier tests on this worker
 * share its simulator and may have changed some of them).
 */
import type { Page } from "@playwright/test";
import {
  Admin,
  type Built,
  type Counts,
  LIVE_TIMEOUT_MS,
  OBJECT,
  type OrgsyncServer,
  POLL_MS,
  type SimRecord,
  TIMESTAMP,
  campaignRecords,
  chooseSource,
  disconnectSalesforce,
  expect,
  isEmpty,
  markDocument,
  otherSource,
  pageHeading,
  readiness,
  readinessCard,
  recordCount,
  recordsSection,
  sameDocument,
  screenshot,
  simRecords,
  sum,
  syncRow,
  test,
  uniqueName,
  waitForLiveStream,
  watchHydration,
} from "./fixtures";

/** libphonenumber's example US number: valid in the campaign's default region (US). */
const VALID_PHONE = "(201) 555-0123";
const VALID_PHONE_E164 = "+12015550123";

/** `?stamp=` of the control API: the change carries this SystemModstamp. */
const stamped = (stamp?: string) => (stamp ? `?stamp=${encodeURIComponent(stamp)}` : "");

/** Creates a Contact in the simulated org (as its admin); returns its Id. */
async function createContact(app: OrgsyncServer, fields: Record<string, unknown>, stamp?: string): Promise<string> {
  const body = (await app.sim.control(`records/${OBJECT}${stamped(stamp)}`, { body: fields })) as { id: string };
  return body.id;
}

async function updateContact(
  app: OrgsyncServer,
  id: string,
  fields: Record<string, unknown>,
  stamp?: string,
): Promise<void> {
  await app.sim.control(`records/${OBJECT}/${id}${stamped(stamp)}`, { method: "PATCH", body: fields });
}

/** Soft delete: the record goes to Salesforce's recycle bin (`IsDeleted`). */
async function deleteContact(app: OrgsyncServer, id: string, stamp?: string): Promise<void> {
  await app.sim.control(`records/${OBJECT}/${id}${stamped(stamp)}`, { method: "DELETE" });
}

async function simRecord(app: OrgsyncServer, id: string): Promise<SimRecord> {
  return (await app.sim.control(`records/${OBJECT}/${id}`, { method: "GET" })) as SimRecord;
}

/**
 * A SystemModstamp a day older than every Contact of the simulated org, deleted ones included:
 * older than any watermark a sync can hold, less its overlap.
 */
async function olderThanEverything(app: OrgsyncServer): Promise<string> {
  const body = (await app.sim.control(`records/${OBJECT}?include_deleted=true`, { method: "GET" })) as {
    records: SimRecord[];
  };
  const earliest = Math.min(...body.records.map((r) => Date.parse(String(r.SystemModstamp))));
  expect(Number.isFinite(earliest), "the simulator's records carry a SystemModstamp").toBe(true);
  return new Date(earliest - 24 * 3_600_000).toISOString();
}

/** How many more calls each of `endpoints` received in `after` than in `before`. */
function callsBetween(
  before: Record<string, number>,
  after: Record<string, number>,
  endpoints: string[],
): Record<string, number> {
  return Object.fromEntries(endpoints.map((e) => [e, (after[e] ?? 0) - (before[e] ?? 0)]));
}

const COMETD = ["cometd/handshake", "cometd/subscribe", "cometd/connect"];

/** The counts a test follows on the Dial-readiness card: all records and some reasons. */
function tracked(counts: Counts, reasons: string[]): Counts {
  return { total: sum(counts), ...Object.fromEntries(reasons.map((r) => [r, counts[r] ?? 0])) };
}

/**
 * `tracked` counts as the page shows them now. A page opened just as changes land (after a
 * restart or a token reset) catches up by itself: the snapshot that opens its live stream
 * makes it read the campaign again, so changes from before the stream was open show too.
 */
async function live(page: Page, reasons: string[]): Promise<Counts> {
  return tracked(await readiness(page), reasons);
}

/** The "N records" line of the Records tab (the search's total when searching). */
const recordsCount = (page: Page) => recordsSection(page).locator(".records-count");

/** A record's row on the current page of the campaign's records. */
const recordRow = (page: Page, id: string) => campaignRecords(page).locator(`tr[data-sf-id="${id}"]`);
const stateOf = (page: Page, id: string) => recordRow(page, id).locator("[data-readiness]");

/**
 * Connect, add the Contact Org Sync (CDC, off), build a Data Source and attach it to a new
 * campaign, and only then switch the sync on, from a second tab while the campaign's records
 * tab watches: the sync subscribes to the change events first and then reads the backfill,
 * so once the campaign holds the backfill, every later change has an event waiting for it.
 * The records tab is left open, holding the matching records.
 */
async function cdcCampaign(admin: Admin): Promise<Built & { campaign: string; path: string }> {
  const { page, app } = admin;
  await admin.connectSalesforce();
  const orgSyncId = await admin.addObject();
  // OS-02: added as CDC (real-time), on its object's channel.
  await expect(syncRow(page).getByLabel("Method")).toHaveValue("cdc");
  await expect(syncRow(page).locator(".sync-channel")).toHaveText(`/data/${OBJECT}ChangeEvent`);
  const all = await simRecords(app, OBJECT);
  const { source, matching } = chooseSource(all);
  const dataSource = uniqueName("ds");
  await admin.openNewDataSource(orgSyncId);
  await admin.fillEditor(dataSource, source);
  await admin.saveDataSource();
  const campaign = uniqueName("campaign");
  const path = await admin.createCampaign(campaign);
  await admin.openLinksTab();
  await admin.attach(dataSource);
  // The sync is off: nothing was read from Salesforce yet.
  await admin.openRecordsTab();
  await expect(recordsCount(page)).toHaveText(recordCount(0));
  await waitForLiveStream(page);

  const tab = await page.context().newPage();
  try {
    await watchHydration(tab);
    await new Admin(tab, app).enableSync("cdc");
  } finally {
    await tab.close();
  }
  await admin.waitForRecords(matching.length);
  return { orgSyncId, dataSource, source, matching, all, campaign, path };
}

test.afterEach(async ({ page, app }) => {
  // Stop this test's syncs: the next test on this worker shares the simulator.
  await disconnectSalesforce(page, app);
});

test("IG-01 CDC: a change in Salesforce reaches the campaign as it happens", async ({ page, app }, testInfo) => {
  test.setTimeout(120_000);
  const admin = await Admin.start(page, app);
  const built = await cdcCampaign(admin);
  const total = built.matching.length;
  const blocked = built.matching.find((r) => r.DoNotCall !== true);
  if (!blocked) throw new Error("the chosen LeadSource has no callable record");

  // Watch the campaign searched for a name no record has yet.
  const name = uniqueName("ig01");
  await admin.open(`${built.path}?tab=records&q=${name}`);
  await expect(recordsCount(page)).toHaveText(recordCount(0));
  await expect(readinessCard(page).locator(".readiness-total")).toHaveText(`${total} records in all`);
  const before = await readiness(page);
  await waitForLiveStream(page);
  await markDocument(page);
  const calls = await app.sim.counters();

  // A new matching Contact, and DoNotCall on a matching one, both stamped older than anything
  // the sync has read: no REST read can find them, only their change events.
  const old = await olderThanEverything(app);
  const created = await createContact(
    app,
    { FirstName: "Ada", LastName: name, Phone: VALID_PHONE, LeadSource: built.source },
    old,
  );
  await updateContact(app, blocked.Id, { DoNotCall: true }, old);

  // The page follows by itself: the new record shows in the search, the counts move.
  await expect(recordsCount(page)).toHaveText(recordCount(1), { timeout: LIVE_TIMEOUT_MS });
  const row = recordRow(page, created);
  await expect(row.locator(".record-name")).toHaveText(`Ada ${name}`);
  await expect(row).toContainText(`Source: ${built.source}`);
  await expect(row.locator(".phone .phone-slot")).toHaveText(["Primary"]);
  await expect(row.locator(".phone .mono")).toHaveText([VALID_PHONE_E164]);
  await expect(stateOf(page, created)).toHaveAttribute("data-readiness", "ready");
  await expect
    .poll(() => readiness(page).then((c) => tracked(c, ["do_not_call"])), {
      timeout: LIVE_TIMEOUT_MS,
      message: "the readiness card follows Salesforce without a reload",
    })
    .toEqual({ total: total + 1, do_not_call: (before.do_not_call ?? 0) + 1 });
  expect(await sameDocument(page), "the page was never reloaded").toBe(true);
  await screenshot(page, "ingestion-cdc-live", testInfo);

  // They came over the Streaming API: the long-poll answered with the events, on the same
  // subscription (no new handshake or subscribe, so no REST catch-up, which only follows one).
  const streamed = callsBetween(calls, await app.sim.counters(), COMETD);
  expect(streamed["cometd/connect"], "a CometD long-poll delivered the events").toBeGreaterThan(0);
  expect(streamed["cometd/handshake"], "no new CometD session").toBe(0);
  expect(streamed["cometd/subscribe"], "no new subscription (and so no catch-up)").toBe(0);

  // The blocked record, searched by its Id: DoNotCall set in Salesforce.
  await admin.open(`${built.path}?tab=records&q=${blocked.Id}`);
  await expect(stateOf(page, blocked.Id)).toHaveAttribute("data-readiness", "do_not_call");
  // The sync stays Active on CDC.
  await admin.open("/admin/integrations?modal=sync-settings");
  await expect(syncRow(page).getByLabel("Method")).toHaveValue("cdc");
  await expect(syncRow(page).locator(".status-label")).toHaveText("Active");
  await expect(syncRow(page).locator(".sync-last")).toHaveText(TIMESTAMP);
});

test("IG-02 REST polling: every change between two polls arrives with the next poll, a timestamp tie and a delete included", async ({
  page,
  app,
}, testInfo) => {
  test.setTimeout(120_000);
  const admin = await Admin.start(page, app);
  const built = await admin.campaignWithLink();
  const total = built.matching.length;
  const [first, tied, moved] = built.matching.filter((r) => r.DoNotCall !== true);
  const gone = built.matching.find((r) => ![first, tied, moved].includes(r));
  if (!gone) throw new Error("the chosen LeadSource matches fewer than four records");
  const reasons = ["do_not_call", "not_matching", "deleted"];
  const before = tracked(await readiness(page), reasons);
  expect(before.total).toBe(total);
  await waitForLiveStream(page);
  await markDocument(page);
  const calls = await app.sim.counters();
  const since = Date.now();

  // A first change, brought by a poll: its SystemModstamp becomes the sync's watermark.
  await updateContact(app, first.Id, { DoNotCall: true });
  await expect
    .poll(() => readiness(page).then((c) => c.do_not_call ?? 0), { timeout: LIVE_TIMEOUT_MS })
    .toBe(before.do_not_call + 1);
  const watermark = String((await simRecord(app, first.Id)).SystemModstamp);

  // Then, before the next poll: a change with exactly that SystemModstamp (a tie, which a poll
  // reading only what is newer than its watermark skips), a new matching record, a delete,
  // and a record that stops matching.
  const name = uniqueName("ig02");
  await updateContact(app, tied.Id, { DoNotCall: true }, watermark);
  const created = await createContact(app, {
    FirstName: "Grace",
    LastName: name,
    Phone: VALID_PHONE,
    LeadSource: built.source,
  });
  await deleteContact(app, gone.Id);
  await updateContact(app, moved.Id, { LeadSource: otherSource(built.all, built.source) });
  expect((await simRecord(app, tied.Id)).SystemModstamp, "the two changes share a SystemModstamp").toBe(watermark);

  // The next poll brings all of it; the page follows without a reload.
  await expect
    .poll(() => readiness(page).then((c) => tracked(c, reasons)), {
      timeout: LIVE_TIMEOUT_MS,
      message: "every change reaches the readiness card",
    })
    .toEqual({
      total: total + 1,
      do_not_call: before.do_not_call + 2 - (gone.DoNotCall === true ? 1 : 0),
      not_matching: before.not_matching + 1,
      deleted: before.deleted + 1,
    });
  await admin.waitForRecords(total + 1);
  expect(await sameDocument(page), "the page was never reloaded").toBe(true);

  // It came by REST (`queryAll`, which returns deleted rows too), not by CDC, and on the
  // interval: polls start at least 5 "minutes" apart.
  const used = callsBetween(calls, await app.sim.counters(), ["queryAll", ...COMETD]);
  const elapsed = Date.now() - since;
  expect(used.queryAll, "polls read through queryAll").toBeGreaterThan(0);
  expect(used.queryAll, `polls in ${elapsed} ms`).toBeLessThanOrEqual(Math.floor(elapsed / POLL_MS) + 1);
  for (const endpoint of COMETD) expect(used[endpoint], `no ${endpoint} call`).toBe(0);

  // Record by record, searched by Salesforce Id: each once, in its state. The deleted one
  // stays, shown as deleted in Salesforce.
  const expected: [string, string][] = [
    [first.Id, "do_not_call"],
    [tied.Id, "do_not_call"],
    [moved.Id, "not_matching"],
    [gone.Id, "deleted"],
    [created, "ready"],
  ];
  for (const [id, state] of expected) {
    await admin.open(`${built.path}?tab=records&q=${id}`);
    await expect(recordsCount(page), `record ${id}`).toHaveText(recordCount(1));
    await expect(stateOf(page, id), `record ${id}`).toHaveAttribute("data-readiness", state);
    if (id === gone.Id) {
      await expect(stateOf(page, id)).toHaveText("Deleted in Salesforce");
      await screenshot(page, "ingestion-rest-deleted", testInfo);
    }
  }
  await expect(recordRow(page, created).locator(".record-name")).toHaveText(`Grace ${name}`);
  await expect(recordRow(page, created)).toContainText(`Source: ${built.source}`);
});

test("IG-03 a Data Source reading a field the mirror lacks gets its values without reconfiguring the Org Sync", async ({
  page,
  app,
}, testInfo) => {
  test.setTimeout(120_000);
  const admin = await Admin.start(page, app);
  // An earlier Data Source (Phone, MobilePhone, LeadSource, Department) feeding a campaign: once
  // its records are there, the mirror holds every field it reads.
  const earlier = await admin.campaignWithLink();
  const { source, matching, all } = earlier;
  // The Org Sync as configured; nothing below touches it.
  await admin.open("/admin/integrations?modal=sync-settings");
  const configuration = async () => {
    const row = syncRow(page);
    return {
      id: await row.getAttribute("data-sync-id"),
      method: await row.getByLabel("Method").inputValue(),
      interval: await row.getByLabel("Interval").inputValue(),
      enabled: await row.getByRole("switch", { name: "Enabled" }).isChecked(),
    };
  };
  const configured = await configuration();
  expect(configured).toEqual({ id: earlier.orgSyncId, method: "rest", interval: "5", enabled: true });

  // A new Data Source, the same filter, reading Title: read by no Data Source before, and not
  // in what the mirror holds without one.
  const FIELD = "Title";
  const withTitle = matching.filter((r) => !isEmpty(r[FIELD]));
  expect(withTitle.length, "the seed gives matching records a Title").toBeGreaterThan(0);
  const dataSource = uniqueName("ds");
  await admin.openNewDataSource(earlier.orgSyncId);
  await admin.fillEditor(dataSource, source, ["Phone", "MobilePhone", FIELD]);

  // The mirror lacks Title, so Preview asks Salesforce (`query`) and shows its titles.
  const expectedCount = `${matching.length} of ${all.length} mirrored records match.`;
  let queries = (await app.sim.counters()).query ?? 0;
  expect(await admin.preview()).toBe(expectedCount);
  expect((await app.sim.counters()).query ?? 0, "Preview asked Salesforce").toBeGreaterThan(queries);
  /** The preview's sample as [Salesforce Id, Title] pairs. */
  const previewTitles = async () => {
    const table = page.getByTestId("preview").getByRole("table", { name: "First matching records" });
    const headers = await table.locator("thead th").evaluateAll((ths) => ths.map((th) => th.textContent?.trim()));
    const column = headers.indexOf(FIELD);
    expect(column, "the preview shows a Title column").toBeGreaterThan(0);
    return table
      .locator("tbody tr")
      .evaluateAll(
        (rows, column) =>
          rows.map((row) => [
            row.querySelector("td .mono")?.textContent ?? "",
            row.querySelectorAll("td")[column]?.textContent ?? "",
          ]),
        column,
      );
  };
  /** The preview's sample: as many records as it shows, each with its Salesforce title. */
  const checkSample = async () => {
    const sampled = await previewTitles();
    expect(sampled.length).toBe(Math.min(5, matching.length));
    for (const [id, title] of sampled) {
      const record = matching.find((r) => r.Id === id);
      expect(record, `preview record ${id} matches in Salesforce`).toBeTruthy();
      expect(title, `Title of ${id}`).toBe(isEmpty(record?.[FIELD]) ? "" : String(record?.[FIELD]));
    }
  };
  await checkSample();
  await admin.saveDataSource();

  // A campaign whose custom field Title comes from it.
  const path = await admin.createCampaign(uniqueName("campaign"), FIELD);
  await admin.openLinksTab();
  await admin.attach(dataSource, { [FIELD]: FIELD });
  await expect(page.locator(`[data-link="${dataSource}"]`)).toContainText(`${FIELD} → ${FIELD}`);
  await admin.openRecordsTab();
  await admin.waitForRecords(matching.length);
  // Every record shown with its Salesforce title (one page of 25).
  const rows = campaignRecords(page).locator("tbody tr");
  await expect(rows).toHaveCount(Math.min(matching.length, 25));
  for (const id of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-sf-id") ?? ""))) {
    const record = matching.find((r) => r.Id === id);
    expect(record, `campaign record ${id} matches in Salesforce`).toBeTruthy();
    const title = record?.[FIELD];
    if (isEmpty(title)) await expect(recordRow(page, id)).not.toContainText(`${FIELD}:`);
    else await expect(recordRow(page, id)).toContainText(`${FIELD}: ${String(title)}`);
  }
  await screenshot(page, "ingestion-new-field", testInfo);

  // Now the mirror holds Title: the same Preview is answered from it, without asking Salesforce.
  await admin.open("/admin/data-sources");
  await admin.dataSourceRow(dataSource).getByRole("link", { name: dataSource }).click();
  await expect(pageHeading(page, `Edit ${dataSource}`)).toBeVisible();
  queries = (await app.sim.counters()).query ?? 0;
  expect(await admin.preview()).toBe(expectedCount);
  await checkSample();
  expect((await app.sim.counters()).query ?? 0, "Preview read the mirror, not Salesforce").toBe(queries);

  // The Org Sync was not reconfigured, and kept running.
  await admin.open("/admin/integrations?modal=sync-settings");
  expect(await configuration()).toEqual(configured);
  await expect(syncRow(page).locator(".status-label")).toHaveText("Active");

  // Its next poll reads Title too: a new title in Salesforce reaches the campaign by itself.
  const renamed = withTitle[0];
  const newTitle = `Head of ${uniqueName("ig03")}`;
  await admin.open(`${path}?tab=records&q=${renamed.Id}`);
  await expect(recordRow(page, renamed.Id)).toContainText(`${FIELD}: ${String(renamed[FIELD])}`);
  await waitForLiveStream(page);
  await markDocument(page);
  await updateContact(app, renamed.Id, { [FIELD]: newTitle });
  await expect(recordRow(page, renamed.Id)).toContainText(`${FIELD}: ${newTitle}`, { timeout: LIVE_TIMEOUT_MS });
  expect(await sameDocument(page), "the page was never reloaded").toBe(true);
});

test("IG-04 no change is lost or applied twice across a restart and a token reset", async ({ page, app }, testInfo) => {
  test.setTimeout(180_000);
  const admin = await Admin.start(page, app);
  const built = await cdcCampaign(admin);
  const total = built.matching.length;
  const [warmUp, blockedWhileDown, blockedInError] = built.matching.filter((r) => r.DoNotCall !== true);
  const goneWhileDown = built.matching.find((r) => ![warmUp, blockedWhileDown, blockedInError].includes(r));
  if (!goneWhileDown) throw new Error("the chosen LeadSource matches fewer than four records");
  const reasons = ["do_not_call", "deleted"];
  const start = tracked(await readiness(page), reasons);
  expect(start.total).toBe(total);
  await waitForLiveStream(page);

  // One change by CDC, so that the sync has a replay id to resume from.
  await updateContact(app, warmUp.Id, { DoNotCall: true });
  await expect
    .poll(() => readiness(page).then((c) => c.do_not_call ?? 0), { timeout: LIVE_TIMEOUT_MS })
    .toBe(start.do_not_call + 1);

  const name = uniqueName("ig04");
  /**
   * Opens the campaign's records searched for this test's name and waits, without a reload,
   * until the page shows the `expected` counts and exactly the records `ids`, each once.
   */
  const caughtUp = async (message: string, expected: Counts, ids: string[]) => {
    await admin.open(`${built.path}?tab=records&q=${name}`);
    await markDocument(page);
    await expect
      .poll(() => live(page, reasons), { timeout: LIVE_TIMEOUT_MS, intervals: [500, 1_000], message })
      .toEqual(expected);
    expect(await sameDocument(page), "the page caught up without a reload").toBe(true);
    await expect(recordsCount(page)).toHaveText(recordCount(ids.length));
    const rows = campaignRecords(page).locator("tbody tr");
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-sf-id") ?? ""));
    expect(shown.sort(), "the new records, each once").toEqual([...ids].sort());
  };

  // orgsync stops; meanwhile Salesforce changes, stamped older than anything the sync has
  // read (so only a replay from the stored replay id can bring them).
  const old = await olderThanEverything(app);
  const createdWhileDown: string[] = [];
  await page.goto("about:blank");
  await app.restart(async () => {
    for (const first of ["Ada", "Alan", "Grace"]) {
      const fields = { FirstName: first, LastName: name, Phone: VALID_PHONE, LeadSource: built.source };
      createdWhileDown.push(await createContact(app, fields, old));
    }
    await updateContact(app, blockedWhileDown.Id, { DoNotCall: true }, old);
    await deleteContact(app, goneWhileDown.Id, old);
  });

  // Back up: each change arrives, once.
  const doNotCallAfterRestart = start.do_not_call + 2 - (goneWhileDown.DoNotCall === true ? 1 : 0);
  await caughtUp(
    "the changes made while orgsync was down arrive",
    { total: total + 3, do_not_call: doNotCallAfterRestart, deleted: start.deleted + 1 },
    createdWhileDown,
  );
  await screenshot(page, "ingestion-after-restart", testInfo);

  // Authentication fails (every refresh token revoked); a change made now stops the sync in
  // Error when it fetches the change (Sync Settings, watched live).
  await admin.open("/admin/integrations?modal=sync-settings");
  await expect(syncRow(page).locator(".status-label")).toHaveText("Active");
  await waitForLiveStream(page);
  await app.sim.control("tokens/revoke-refresh");
  const inError = await createContact(
    app,
    { FirstName: "Barbara", LastName: name, Phone: VALID_PHONE, LeadSource: built.source },
    old,
  );
  await updateContact(app, blockedInError.Id, { DoNotCall: true }, old);
  await expect(syncRow(page).locator(".status-label")).toHaveText("Error", { timeout: LIVE_TIMEOUT_MS });

  // Reset Token (IN-06): the sync resumes from its replay id; the missed changes arrive, and
  // the ones it already had are not applied again.
  await admin.connectSalesforce("Reset Token");
  await caughtUp(
    "the changes made while the sync was in Error arrive",
    { total: total + 4, do_not_call: doNotCallAfterRestart + 1, deleted: start.deleted + 1 },
    [...createdWhileDown, inError],
  );
  await admin.open("/admin/integrations?modal=sync-settings");
  await expect(syncRow(page).locator(".status-label")).toHaveText("Active");
  // And record by record (searched by Id): the updated and the deleted one, in their state.
  for (const [id, state] of [
    [blockedWhileDown.Id, "do_not_call"],
    [blockedInError.Id, "do_not_call"],
    [goneWhileDown.Id, "deleted"],
  ]) {
    await admin.open(`${built.path}?tab=records&q=${id}`);
    await expect(recordsCount(page), `record ${id}`).toHaveText(recordCount(1));
    await expect(stateOf(page, id), `record ${id}`).toHaveAttribute("data-readiness", state);
  }
});
