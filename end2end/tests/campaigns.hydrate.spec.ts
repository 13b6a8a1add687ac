/**
 * Data Sources, Links and campaigns (DS-01..DS-04, and OS-07's cascade), against the real
 * engine and the Salesforce simulator: a Contact Org Sync on REST Polling mirrors the
 * simulated org, a Data Source filters the mirror, a Link imports its records into a campaign
 * with mapped phones and custom fields, and the campaign follows Salesforce live.
 *
 * JavaScript only (the `ssr` project skips this file): the Data Source editor needs it, and
 * DS-03 checks that the campaign page follows the server-sent events without a reload.
 *
 * Every test builds its own organization, sync, Data Source and campaign. Expected counts are
 * computed from the simulator's own records (its control API), read at the time of the test:
 * earlier tests on this worker may have changed some of them.
 */
import {
  Admin,
  type Counts,
  LIVE_TIMEOUT_MS,
  OBJECT,
  type OrgsyncServer,
  POLL_MS,
  type SimRecord,
  adminNav,
  answerOf,
  attachForm,
  chooseSource,
  disconnectSalesforce,
  expect,
  isEmpty,
  markDocument,
  matches,
  otherSource,
  pageHeading,
  readiness,
  sameDocument,
  sameText,
  screenshot,
  simRecords,
  sum,
  syncRow,
  test,
  uniqueName,
} from "./fixtures";

/** server/src/campaigns/mapping.rs, `MappingError::NoPhone`. */
const NO_PHONE_MESSAGE = "Map at least one Salesforce field to a phone number slot.";
/** OS-07, word for word. */
const REMOVE_PROMPT = "Remove Contact sync? This will also remove any data sources linked to this object.";

test.afterEach(async ({ page, app }) => {
  // Stop this test's syncs: the next test on this worker shares the simulator.
  await disconnectSalesforce(page, app);
});

test("DS-01 build a Data Source with a filter and preview it", async ({ page, app }, testInfo) => {
  test.setTimeout(120_000);
  const admin = await Admin.start(page, app);
  await admin.connectSalesforce();
  const orgSyncId = await admin.addRestSync();

  const all = await simRecords(app, OBJECT);
  const { source, matching } = chooseSource(all);
  const name = uniqueName("ds");
  await admin.openNewDataSource(orgSyncId);
  // The fields come from Salesforce's describe.
  for (const field of ["Phone", "MobilePhone", "LeadSource", "Department"]) {
    await expect(admin.fieldCheckbox(field)).toBeVisible();
  }
  await admin.fillEditor(name, source);

  // Preview counts the mirrored records the filter matches, before anything is saved.
  const expected = `${matching.length} of ${all.length} mirrored records match.`;
  expect.soft(await admin.preview(), "Preview of a new Data Source").toBe(expected);
  const preview = page.getByTestId("preview");
  await expect.soft(preview.getByText(`WHERE LeadSource = '${source}' AND Phone != null`)).toBeVisible();
  await expect
    .soft(preview.getByRole("table", { name: "First matching records" }).locator("tbody tr"))
    .toHaveCount(Math.min(5, matching.length));
  await screenshot(page, "data-source-editor-preview", testInfo);

  // Live: once shown, the preview follows the filter without another press of Preview.
  // (Another LeadSource that matches a different number of records, so the count must move.)
  const countOf = (value: string) => all.filter((r) => matches(r, value)).length;
  const other = all
    .map((r) => r.LeadSource)
    .find(
      (v): v is string =>
        typeof v === "string" && v !== "" && !sameText(v, source) && countOf(v) !== matching.length,
    );
  if (!other) throw new Error("the simulator's seed has LeadSources matching different numbers of records");
  const firstValue = page.locator(".filter-row").nth(0).getByLabel("Value", { exact: true });
  await firstValue.fill(other);
  await expect(preview.locator(".preview-count")).toHaveText(
    `${countOf(other)} of ${all.length} mirrored records match.`,
    { timeout: LIVE_TIMEOUT_MS },
  );
  await expect(preview.getByText(`WHERE LeadSource = '${other}' AND Phone != null`)).toBeVisible();
  await firstValue.fill(source);
  await expect(preview.locator(".preview-count")).toHaveText(expected, { timeout: LIVE_TIMEOUT_MS });
  await expect(preview.getByText(`WHERE LeadSource = '${source}' AND Phone != null`)).toBeVisible();

  await admin.saveDataSource();
  const row = admin.dataSourceRow(name);
  await expect(row).toBeVisible();
  await expect(row.getByRole("cell")).toHaveText([name, OBJECT, `LeadSource equals "${source}" and Phone is not empty`, "Not attached", "Delete"]);
  await screenshot(page, "data-sources-list", testInfo);

  // Opened again, the editor shows the saved filter, and its Preview agrees with Salesforce.
  await row.getByRole("link", { name }).click();
  await expect(pageHeading(page, `Edit ${name}`)).toBeVisible();
  const rows = page.locator(".filter-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).getByLabel("Field", { exact: true })).toHaveValue("LeadSource");
  await expect(rows.nth(0).getByLabel("Value", { exact: true })).toHaveValue(source);
  await expect(rows.nth(1).getByLabel("Operator", { exact: true })).toHaveValue("is_not_empty");
  // The fields it reads are the ones chosen (what the sync also fetches for the filter and
  // for readiness is not the administrator's choice).
  const checked = await page
    .getByRole("group", { name: "Fields it reads" })
    .locator('input[type="checkbox"]:checked')
    .evaluateAll((boxes) => boxes.map((box) => (box as HTMLInputElement).value).sort());
  expect.soft(checked, "the fields chosen, checked again").toEqual(["Department", "LeadSource", "MobilePhone", "Phone"]);
  // Saving made the engine fetch the fields the Data Source reads; give it a moment.
  await expect(async () => {
    expect(await admin.preview()).toBe(expected);
  }).toPass({ timeout: LIVE_TIMEOUT_MS });
});

test("DS-02 DS-03 link a Data Source to a campaign with mappings and see records arrive with readiness counts", async ({
  page,
  app,
}, testInfo) => {
  test.setTimeout(150_000);
  const admin = await Admin.start(page, app);
  const built = await admin.buildDataSource();
  const campaign = uniqueName("campaign");
  const path = await admin.createCampaign(campaign);
  await admin.openLinksTab();
  const form = attachForm(page);
  await expect(form.getByLabel("Data Source", { exact: true }).locator("option")).toHaveText([
    `${built.dataSource} (${OBJECT})`,
  ]);
  // One mapping select per phone slot and per custom field, offering the fields it reads.
  for (const label of ["Phone: Primary", "Phone: Mobile", "Custom field: Source", "Custom field: Department"]) {
    await expect(form.getByLabel(label)).toHaveValue("");
  }
  const offered = await form.getByLabel("Phone: Primary").locator("option").allInnerTexts();
  expect(offered).toEqual(expect.arrayContaining(["Phone", "MobilePhone", "LeadSource", "Department"]));

  // Refused: no phone mapped.
  await form.getByLabel("Custom field: Source").selectOption("LeadSource");
  const refused = await admin.pressAttach();
  expect(refused.ok(), "attaching without a phone mapping is refused").toBe(false);
  await expect(form.getByRole("alert")).toHaveText(NO_PHONE_MESSAGE);
  await expect(page.locator("[data-link]")).toHaveCount(0);
  await screenshot(page, "campaign-attach-refused", testInfo);

  // A fresh tab (the refused answer re-reads the page under the form), then attach for real.
  await admin.open(`${path}?tab=data-sources`);
  await admin.attach(built.dataSource);
  const link = page.locator(`[data-link="${built.dataSource}"]`);
  for (const mapping of ["Phone → Primary", "MobilePhone → Mobile", "LeadSource → Source"]) {
    await expect(link).toContainText(mapping);
  }

  // The matching records arrive, each once, with their readiness.
  await admin.openRecordsTab();
  const total = built.matching.length;
  await admin.waitForRecords(total);
  const counts = await readiness(page);
  expect(sum(counts), `the readiness counts ${JSON.stringify(counts)} add up to the records`).toBe(total);
  // Contacts: DoNotCall decides before the phone does (server/src/campaigns/readiness.rs).
  const doNotCall = built.matching.filter((r) => r.DoNotCall === true).length;
  expect(counts.do_not_call ?? 0, "DoNotCall set in Salesforce").toBe(doNotCall);
  expect((counts.ready ?? 0) + (counts.no_valid_phone ?? 0)).toBe(total - doNotCall);
  for (const reason of ["converted", "deleted", "not_matching"]) {
    expect(counts[reason] ?? 0, reason).toBe(0);
  }
  // The table lists them all (one page of 25), each with its mapped values.
  const table = page.getByRole("table", { name: "Campaign records" });
  await expect(table.locator("tbody tr")).toHaveCount(Math.min(total, 25));
  if (total <= 25) {
    const phoneSlots: Record<string, string[]> = {};
    const expectedSlots: Record<string, string[]> = {};
    for (const record of built.matching) {
      const row = table.locator(`tr[data-sf-id="${record.Id}"]`);
      await expect(row).toBeVisible();
      await expect(row).toContainText(`Source: ${record.LeadSource as string}`);
      phoneSlots[record.Id] = await row.locator(".phone-slot").allInnerTexts();
      expectedSlots[record.Id] = ["Primary", "Mobile"].filter((_, i) =>
        !isEmpty(i === 0 ? record.Phone : record.MobilePhone),
      );
    }
    // Each record's phones in the campaign's dialing order ("Primary, Mobile"; the form says
    // "Comma-separated, in dialing order"), each slot whose field has a value.
    expect.soft(phoneSlots, "record phones in the campaign's dialing order").toEqual(expectedSlots);
  }
  await screenshot(page, "campaign-records", testInfo);

  // The Data Sources tab shows the Link's own counts; the campaign list its total.
  await admin.openLinksTab();
  await expect(link.locator(".readiness")).toHaveAttribute("data-ready", String(counts.ready ?? 0));
  await expect(link.locator(".readiness")).toHaveAttribute("data-not-ready", String(total - (counts.ready ?? 0)));
  // Why the others are not ready, reason by reason, in plain sight on the Link.
  const shownReasons = await link.locator(".readiness-reason").evaluateAll((items) =>
    Object.fromEntries(
      items.map((item) => [item.getAttribute("data-reason") ?? "?", Number(item.textContent?.split(": ").pop())]),
    ),
  );
  const notReady = Object.fromEntries(Object.entries(counts).filter(([reason]) => reason !== "ready"));
  expect(shownReasons, "the Link's reasons match the campaign's").toEqual(notReady);
  await expect(page.getByText("Every Data Source is attached.")).toBeVisible();
  await screenshot(page, "campaign-links", testInfo);
  await adminNav(page).getByRole("link", { name: "Campaigns" }).click();
  const listed = page.getByRole("table", { name: "Campaigns" }).locator(`tr[data-campaign="${campaign}"]`);
  await expect(listed.getByRole("cell").nth(2)).toHaveText(String(total));
  await expect(listed.locator(".readiness")).toHaveAttribute("data-ready", String(counts.ready ?? 0));
  // The Data Sources page names the campaign it feeds.
  await adminNav(page).getByRole("link", { name: "Data Sources" }).click();
  await expect(admin.dataSourceRow(built.dataSource).getByRole("cell").nth(3)).toHaveText(campaign);

  // The Link's mappings change in place: Source no longer mapped, Department now is.
  await admin.open(`${path}?tab=data-sources`);
  const editing = link.locator("details.link-edit");
  await editing.getByText("Edit mappings").click();
  await expect(editing.getByLabel("Phone: Primary")).toHaveValue("Phone");
  await expect(editing.getByLabel("Phone: Mobile")).toHaveValue("MobilePhone");
  await expect(editing.getByLabel("Custom field: Source")).toHaveValue("LeadSource");
  await expect(editing.getByLabel("Custom field: Department")).toHaveValue("");
  await editing.getByLabel("Custom field: Source").selectOption("");
  await editing.getByLabel("Custom field: Department").selectOption("Department");
  await screenshot(page, "campaign-link-edit", testInfo);
  const edited = answerOf(page, "save_link");
  await editing.getByRole("button", { name: "Save mappings" }).click();
  const editAnswer = await edited;
  expect(editAnswer.status(), `Save mappings: ${await editAnswer.text()}`).toBe(200);
  await expect(link).toContainText("Department → Department");
  await expect(link).not.toContainText("LeadSource → Source");
  // The campaign's records follow at once (the record found by its Id with the search).
  const withDepartment = built.matching.find((r) => !isEmpty(r.Department));
  if (!withDepartment) throw new Error("the simulator's seed gives a matching record a Department");
  await admin.open(`${path}?tab=records&q=${withDepartment.Id}`);
  const row = page.getByRole("table", { name: "Campaign records" }).locator(`tr[data-sf-id="${withDepartment.Id}"]`);
  await expect(row).toContainText(`Department: ${withDepartment.Department as string}`);
  await expect(row).not.toContainText("Source:");
});

test("DS-03 a change in Salesforce updates the campaign live", async ({ page, app }, testInfo) => {
  test.setTimeout(150_000);
  const admin = await Admin.start(page, app);
  const built = await admin.campaignWithLink();
  const before = await readiness(page);
  const total = built.matching.length;
  expect(sum(before)).toBe(total);

  // Two matching records without DoNotCall: one gets it set, the other stops matching.
  const [blocked, moved] = built.matching.filter((r) => r.DoNotCall !== true);
  const stateOf = (id: string) =>
    page
      .getByRole("table", { name: "Campaign records" })
      .locator(`tr[data-sf-id="${id}"] [data-readiness]`)
      .getAttribute("data-readiness");
  const expected: Counts = { ...before };
  expected.do_not_call = (before.do_not_call ?? 0) + 1;
  expected.not_matching = (before.not_matching ?? 0) + 1;
  if (total <= 25) {
    // Each of the two leaves `ready` or `no_valid_phone` (which one depends on its phones).
    for (const record of [blocked, moved]) {
      const state = (await stateOf(record.Id)) ?? "?";
      expect(["ready", "no_valid_phone"]).toContain(state);
      expected[state] -= 1;
      if (expected[state] === 0) delete expected[state];
    }
  }
  await markDocument(page);
  await app.sim.control(`records/${OBJECT}/${blocked.Id}`, { method: "PATCH", body: { DoNotCall: true } });
  await app.sim.control(`records/${OBJECT}/${moved.Id}`, {
    method: "PATCH",
    body: { LeadSource: otherSource(built.all, built.source) },
  });

  // The page follows by itself: the next poll brings the changes, the stream the new counts.
  await expect
    .poll(() => readiness(page).then((c) => [c.do_not_call ?? 0, c.not_matching ?? 0]), {
      timeout: LIVE_TIMEOUT_MS,
      message: "the readiness card follows Salesforce without a reload",
    })
    .toEqual([expected.do_not_call, expected.not_matching]);
  if (total <= 25) expect(await readiness(page)).toEqual(expected);
  // Kept, not dropped: the record that stopped matching stays, marked.
  await admin.waitForRecords(total);
  if (total <= 25) {
    await expect.poll(() => stateOf(blocked.Id)).toBe("do_not_call");
    await expect.poll(() => stateOf(moved.Id)).toBe("not_matching");
  }
  expect(await sameDocument(page), "the page was never reloaded").toBe(true);
  await screenshot(page, "campaign-live-update", testInfo);

  // The Link says why its records are not ready, reason by reason, without hovering.
  await admin.openLinksTab();
  const link = page.locator(`[data-link="${built.dataSource}"]`);
  await expect(link.locator('.readiness-reason[data-reason="do_not_call"]')).toHaveText(
    `DoNotCall set in Salesforce: ${expected.do_not_call}`,
  );
  await expect(link.locator('.readiness-reason[data-reason="not_matching"]')).toHaveText(
    `No longer matching: ${expected.not_matching}`,
  );
  await screenshot(page, "campaign-links-reasons", testInfo);
});

test("DS-04 OS-07 removing the Org Sync keeps imported records", async ({ page, app }, testInfo) => {
  test.setTimeout(150_000);
  const admin = await Admin.start(page, app);
  const built = await admin.campaignWithLink();
  const total = built.matching.length;
  const before = await readiness(page);

  // Remove the Org Sync from Sync Settings, after its confirmation.
  await admin.open("/admin/integrations?modal=sync-settings");
  await syncRow(page).getByRole("link", { name: `Remove ${OBJECT} sync` }).click();
  const confirm = page.getByRole("dialog", { name: `Remove ${OBJECT} sync` });
  await expect(confirm.locator(".confirm-prompt")).toHaveText(REMOVE_PROMPT);
  const removed = answerOf(page, "remove_org_sync");
  await confirm.getByRole("button", { name: "Remove" }).click();
  expect((await removed).status(), "Remove answered").toBeLessThan(400);
  await expect(syncRow(page)).toHaveCount(0);

  // The Data Source is gone with it.
  await admin.open("/admin/data-sources");
  await expect(pageHeading(page, "Data Sources")).toBeVisible();
  await expect(page.getByText("No Data Sources yet")).toBeVisible();
  await expect(page.locator(`[data-data-source="${built.dataSource}"]`)).toHaveCount(0);
  await expect(page.getByRole("link", { name: `New ${OBJECT} Data Source` })).toHaveCount(0);
  await screenshot(page, "data-sources-after-remove", testInfo);

  // The campaign keeps its records, with their states; its Link is gone.
  await admin.open(`${built.path}?tab=records`);
  await admin.waitForRecords(total);
  expect(await readiness(page)).toEqual(before);
  await expect(page.getByRole("table", { name: "Campaign records" }).locator("tbody tr")).toHaveCount(Math.min(total, 25));
  await admin.openLinksTab();
  await expect(page.locator("[data-link]")).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "No Data Sources attached" })).toBeVisible();
  // The organization has no Data Source left: the tab says so, and where to create one.
  await expect(page.getByText("There is no Data Source yet. Create one on the Data Sources page, then attach it here.")).toBeVisible();
  await expect(page.getByText("Every Data Source is attached.")).toHaveCount(0);
  await screenshot(page, "campaign-after-remove", testInfo);

  // No more updates from Salesforce: a change there leaves the campaign as it was.
  const target = built.matching.find((r) => r.DoNotCall !== true);
  if (target) {
    await app.sim.control(`records/${OBJECT}/${target.Id}`, { method: "PATCH", body: { DoNotCall: true } });
    await page.waitForTimeout(POLL_MS + 2_000);
    await admin.open(`${built.path}?tab=records`);
    await admin.waitForRecords(total);
    expect(await readiness(page)).toEqual(before);
  }
});

/** The simulator's Tasks whose CallObject is `callId`. */
async function tasksOf(app: OrgsyncServer, callId: string): Promise<SimRecord[]> {
  const body = (await app.sim.control("records/Task", { method: "GET" })) as { records: SimRecord[] };
  return body.records.filter((task) => task.CallObject === callId);
}

test("DS-05 a call recorded on a campaign record and one from the dialer's API become Tasks in Salesforce", async ({
  page,
  app,
}, testInfo) => {
  test.setTimeout(150_000);
  const admin = await Admin.start(page, app);
  const built = await admin.campaignWithLink();
  const table = page.getByRole("table", { name: "Campaign records" });
  const rows = table.locator("tbody tr");
  const person = (await rows.nth(0).getAttribute("data-sf-id")) ?? "";
  const other = (await rows.nth(1).getAttribute("data-sf-id")) ?? "";
  expect(person && other, "two records to call").toBeTruthy();

  // Record call, from the record's row: a dialog with the disposition, duration and notes.
  await table.locator(`tr[data-sf-id="${person}"]`).getByRole("link", { name: "Record call" }).click();
  const dialog = page.getByRole("dialog", { name: /^Record call: / });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("Disposition").selectOption("Left voicemail");
  await dialog.getByLabel("Duration (seconds)").fill("42");
  await dialog.getByLabel("Notes").fill("Asked to call back on Tuesday");
  await screenshot(page, "campaign-record-call", testInfo);
  const recorded = answerOf(page, "record_call");
  await dialog.getByRole("button", { name: "Record call" }).click();
  expect((await recorded).status(), "Record call answered").toBe(200);

  // The Calls tab shows it, and its write-back turns Written with the Task's Id by itself.
  await expect(page).toHaveURL(/[?&]tab=calls/);
  const calls = page.getByRole("table", { name: "Calls" });
  const callRow = calls.locator("tbody tr").first();
  await expect(callRow).toHaveAttribute("data-write-back", "written", { timeout: LIVE_TIMEOUT_MS });
  const callId = (await callRow.getAttribute("data-call-id")) ?? "";
  const tasks = await tasksOf(app, callId);
  expect(tasks, "exactly one Task for the call").toHaveLength(1);
  const [task] = tasks;
  expect(task.WhoId).toBe(person);
  expect(task.Status).toBe("Completed");
  expect(task.TaskSubtype).toBe("Call");
  expect(task.CallDisposition).toBe("Left voicemail");
  expect(task.CallDurationInSeconds).toBe(42);
  // A Task has no writable time of day: the call's time ends the description.
  expect(task.Description).toMatch(/^Asked to call back on Tuesday\n\nCalled at \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/);
  await expect(callRow.getByText(`Task ${task.Id}`)).toBeVisible();
  await screenshot(page, "campaign-calls", testInfo);

  // The dialer: an API key, created on the API Keys page and shown once.
  await admin.open("/admin/api-keys");
  await expect(pageHeading(page, "API Keys")).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill("Dialer");
  const created = answerOf(page, "create_api_key");
  await page.getByRole("button", { name: "Create key" }).click();
  expect((await created).status(), "Create key answered").toBe(200);
  const key = await page.getByRole("textbox", { name: "New API key" }).inputValue();
  expect(key).toMatch(/^osk_/);
  await expect(page.getByRole("table", { name: "API keys" }).locator('tr[data-api-key="Dialer"]')).toBeVisible();
  await screenshot(page, "api-keys", testInfo);

  const campaignId = Number(built.path.split("/").pop());
  const report = {
    call_id: uniqueName("dialer"),
    campaign_id: campaignId,
    salesforce_id: other,
    disposition: "Connected",
    duration_seconds: 95,
  };
  const headers = { Authorization: `Bearer ${key}` };
  const answered = await page.request.post("/dialer/v1/calls", { headers, data: report });
  expect(answered.status(), await answered.text()).toBe(201);
  await expect
    .poll(
      async () => {
        const state = await page.request.get(`/dialer/v1/calls?call_id=${report.call_id}`, { headers });
        return ((await state.json()) as { state: string }).state;
      },
      { timeout: LIVE_TIMEOUT_MS, message: "the dialer's call is written back" },
    )
    .toBe("written");
  expect(await tasksOf(app, report.call_id)).toHaveLength(1);

  // Revoked: the dialer is refused from its next call on.
  page.once("dialog", (confirm) => confirm.accept());
  const revoked = answerOf(page, "revoke_api_key");
  await page.getByRole("table", { name: "API keys" }).getByRole("button", { name: "Revoke" }).click();
  expect((await revoked).status()).toBe(200);
  const refused = await page.request.post("/dialer/v1/calls", {
    headers,
    data: { ...report, call_id: uniqueName("dialer") },
  });
  expect(refused.status()).toBe(401);
});

test("DS-05 without JavaScript, Record call goes on to the Calls tab instead of the same dialog", async ({
  page,
  app,
  browser,
}, testInfo) => {
  test.setTimeout(150_000);
  const admin = await Admin.start(page, app);
  const built = await admin.campaignWithLink();
  const person = (await page.getByRole("table", { name: "Campaign records" }).locator("tbody tr").nth(0).getAttribute("data-sf-id")) ?? "";
  expect(person, "a record to call").toBeTruthy();

  // The same admin in a browser without JavaScript: the dialog is a page, its form a plain post.
  const plain = await browser.newContext({
    baseURL: app.baseURL,
    javaScriptEnabled: false,
    storageState: await page.context().storageState(),
  });
  try {
    const noJs = await plain.newPage();
    await noJs.goto(`${built.path}?tab=records&page=1&call=${encodeURIComponent(person)}`);
    const dialog = noJs.getByRole("dialog", { name: /^Record call: / });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel("Disposition").selectOption("Connected");
    await dialog.getByLabel("Duration (seconds)").fill("30");
    await dialog.getByRole("button", { name: "Record call" }).click();

    // On to the Calls tab, the dialog gone: nothing invites a second submission.
    await expect(noJs).toHaveURL(/[?&]tab=calls/);
    await expect(noJs.getByRole("dialog")).toHaveCount(0);
    const rows = noJs.getByRole("table", { name: "Calls" }).locator("tbody tr");
    await expect(rows).toHaveCount(1);
    const callId = (await rows.first().getAttribute("data-call-id")) ?? "";
    await screenshot(noJs, "campaign-calls-nojs", testInfo);

    // Written back once, as with JavaScript (the page shows it on the next load).
    await expect
      .poll(
        async () => {
          await noJs.reload();
          return rows.first().getAttribute("data-write-back");
        },
        { timeout: LIVE_TIMEOUT_MS, message: "the call is written back" },
      )
      .toBe("written");
    const tasks = await tasksOf(app, callId);
    expect(tasks, "exactly one Task for the call").toHaveLength(1);
    expect(tasks[0].WhoId).toBe(person);
  } finally {
    await plain.close();
  }
});
