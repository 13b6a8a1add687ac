/**
 * Fixtures for the orgsync end-to-end suite: a REAL `orgsync serve` per worker.
 *
 * - `app` (worker-scoped): starts the release binary on a free port with a fresh, empty data
 *   directory, waits for `GET /healthz`, ends first run by creating a baseline user through the
 *   CLI, and stops the server (SIGTERM) when the worker ends.
 * - `baseURL` is taken from `app`, so specs write `page.goto("/login")`.
 * - `startServer()` gives a test a server of its own (the first-run test needs one with no
 *   users); stop it in a `finally`.
 * - `app.restart()` stops a server's process and starts it again on the same port, data
 *   directory and simulator (what survives a restart).
 * - `Admin` and the helpers around it drive Sync Settings, Data Sources and campaigns against
 *   the simulator (the hydrated campaign and ingestion specs).
 *
 * Tests in one worker share that worker's server, so every test creates its own organization
 * and users (unique names, see `uniqueName`) and never relies on another test having run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  test as base,
  expect,
  type ConsoleMessage,
  type Locator,
  type Page,
  type Response,
  type TestInfo,
  type WebError,
} from "@playwright/test";

export { expect };

/** The `end2end/` folder (relative paths in `ORGSYNC_BIN` are resolved against it). */
export const END2END_DIR = path.resolve(__dirname, "..");

/** Where `screenshot()` writes; git-ignored. */
export const SCREENSHOT_DIR = path.join(END2END_DIR, "screenshots");

/** How long `orgsync serve` may take to answer `/healthz`. */
const STARTUP_TIMEOUT_MS = 30_000;
/** How long a SIGTERM'd server may take to exit before it is killed. */
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Time for a fixture that starts and stops a server (give it to fixtures and tests that do). */
export const SERVER_FIXTURE_TIMEOUT_MS = STARTUP_TIMEOUT_MS + SHUTDOWN_TIMEOUT_MS + 10_000;
/** How long one CLI command may run. */
const CLI_TIMEOUT_MS = 30_000;

export type Role = "admin" | "viewer";

/** A user created for a test. */
export interface Credentials {
  org: string;
  username: string;
  password: string;
  role: Role;
}

/** What a finished CLI command printed. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CreateUserOptions {
  role: Role;
  /** Existing organization; by default a fresh one is created. */
  org?: string;
  /** The `integrations` flag of the fresh organization (default: on). Ignored with `org`. */
  integrations?: boolean;
  username?: string;
  password?: string;
}

/** The orgsync binary: `ORGSYNC_BIN` or `../target/release/orgsync`, relative to `end2end/`. */
export function binaryPath(): string {
  const configured = process.env.ORGSYNC_BIN;
  const bin = path.resolve(END2END_DIR, configured || "../target/release/orgsync");
  if (!fs.existsSync(bin)) {
    throw new Error(
      `orgsync binary not found at ${bin}${configured ? " (from ORGSYNC_BIN)" : ""}: ` +
        "build it first with `cargo xtask build` (or set ORGSYNC_BIN to its path).",
    );
  }
  return bin;
}

let nameCounter = 0;

/** A name no other test on this server uses: `<prefix>-<counter>-<random>`, lowercase. */
export function uniqueName(prefix: string): string {
  nameCounter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${nameCounter}-${random}`;
}

/** A password comfortably over the 10-character minimum. */
export function uniquePassword(): string {
  return `pw-${Math.random().toString(36).slice(2, 10)}-Correct-Horse`;
}

/**
 * The sync engine's timings in tests, much shorter than the product's: one "minute" of a
 * polling interval lasts a second (a 5 min interval polls every 5 s), the circuit breaker's
 * first cool-down lasts `CIRCUIT_COOLDOWN_SECS`, and a CDC sync retries after a second.
 */
export const POLL_UNIT_SECS = 1;
export const CIRCUIT_COOLDOWN_SECS = 12;
const SYNC_TIMINGS: Record<string, string> = {
  ORGSYNC_SYNC_POLL_UNIT_SECS: String(POLL_UNIT_SECS),
  ORGSYNC_SYNC_CIRCUIT_COOLDOWN_SECS: String(CIRCUIT_COOLDOWN_SECS),
  ORGSYNC_SYNC_CDC_RETRY_SECS: "1",
};

/**
 * The environment for every orgsync process we start: ours, minus any `ORGSYNC_*` setting
 * (a developer's `ORGSYNC_DATABASE_URL` or `ORGSYNC_DEMO` must never reach the test server),
 * plus `RUST_LOG=info` and whatever `extra` adds.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("ORGSYNC_")) env[key] = value;
  }
  return { ...env, RUST_LOG: "info", NO_COLOR: "1", ...extra };
}

/** A port nobody listens on right now (bind to port 0, read it, close). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Server output, kept so a failed start-up or test can show it. Holds the last 2 MB. */
class OutputBuffer {
  private text = "";
  private dropped = 0;
  private static readonly LIMIT = 2 * 1024 * 1024;

  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > OutputBuffer.LIMIT) {
      const cut = this.text.length - OutputBuffer.LIMIT;
      this.text = this.text.slice(cut);
      this.dropped += cut;
    }
  }

  /** Total characters ever written; pass it to `since()` later. */
  get offset(): number {
    return this.dropped + this.text.length;
  }

  /** Everything written since `offset` (as far as it is still kept). */
  since(offset: number): string {
    return this.text.slice(Math.max(0, offset - this.dropped));
  }
}

/** Servers still running, killed if the worker process exits without tearing them down. */
const liveServers = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of liveServers) child.kill("SIGKILL");
});

/**
 * The Salesforce simulator (`orgsync sim`) as a separate process, the way a real Salesforce
 * is separate from orgsync. Its connected app and users are fixed (server/sim/README.md).
 */
export class Simulator {
  /** The simulator's fixed connected app (server/sim/README.md). */
  static readonly CLIENT_ID =
    "3MVG9orgsyncSIMULATORconnectedAppConsumerKey0000000000000000000000000000000";
  static readonly CLIENT_SECRET = "ORGSYNC5IMULAT0R5ECRET";
  /** The simulated org's administrator. */
  static readonly USERNAME = "admin@orgsync-sim.example";
  static readonly PASSWORD = "sim-password-0";

  private constructor(
    /** `http://127.0.0.1:<port>`, no trailing slash. */
    readonly baseURL: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    private readonly output: OutputBuffer,
  ) {}

  static async start(): Promise<Simulator> {
    const bin = binaryPath();
    const port = await freePort();
    const listen = `127.0.0.1:${port}`;
    const output = new OutputBuffer();
    const child = spawn(bin, ["sim", "--listen", listen, "--contacts", "50", "--leads", "20"], {
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    liveServers.add(child);
    child.stdout?.on("data", (chunk) => output.push(chunk));
    child.stderr?.on("data", (chunk) => output.push(chunk));
    const exited = new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    });
    const sim = new Simulator(`http://${listen}`, child, exited, output);
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      try {
        const response = await fetch(`${sim.baseURL}/services/data`, { signal: AbortSignal.timeout(2_000) });
        if (response.status === 200) return sim;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await sim.stop();
    throw new Error(`orgsync sim did not start\n--- output ---\n${output.since(0) || "(none)"}`);
  }

  /** Calls the control API (`/__sim/<path>`). */
  async control(path: string, init: { method?: string; body?: unknown } = {}): Promise<unknown> {
    const response = await fetch(`${this.baseURL}/__sim/${path}`, {
      method: init.method ?? "POST",
      headers: { "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (!response.ok) throw new Error(`/__sim/${path} answered ${response.status}`);
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  /**
   * Makes an endpoint misbehave (server/sim/README.md "Control API"), for example
   * `{ endpoint: "query", kind: "fail", status: 503, error_code: "SERVER_UNAVAILABLE", message: "…" }`;
   * without `count` until `clearFaults()`.
   */
  async fault(fault: Record<string, unknown>): Promise<void> {
    await this.control("faults", { body: fault });
  }

  /** Removes every fault. */
  async clearFaults(): Promise<void> {
    await this.control("faults", { method: "DELETE" });
  }

  /** The number of calls each simulated endpoint received. */
  async counters(): Promise<Record<string, number>> {
    const body = (await this.control("counters", { method: "GET" })) as { endpoints: Record<string, number> };
    return body.endpoints;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      await Promise.race([this.exited, sleep(SHUTDOWN_TIMEOUT_MS)]);
      if (this.child.exitCode === null) this.child.kill("SIGKILL");
    }
    liveServers.delete(this.child);
  }

  logs(): string {
    return this.output.since(0);
  }
}

/** One `orgsync serve` process of an `OrgsyncServer`, and what ends it. */
interface ServeProcess {
  child: ChildProcess;
  exited: Promise<void>;
  /** Set if the process could not be started at all. */
  spawnError(): Error | undefined;
}

/** A running `orgsync serve` with its own data directory, plus helpers to drive it. */
export class OrgsyncServer {
  private stopped = false;

  private constructor(
    /** `http://127.0.0.1:<port>`, no trailing slash. */
    readonly baseURL: string,
    /** The server's private data directory (SQLite file, `setup-code`). */
    readonly dataDir: string,
    private readonly bin: string,
    /** The `host:port` it listens on (kept across `restart()`). */
    private readonly listen: string,
    private serve: ServeProcess,
    private readonly output: OutputBuffer,
    /** The Salesforce simulator this server's connected app points at. */
    readonly sim: Simulator,
  ) {}

  /**
   * Starts a Salesforce simulator, then the binary with its connected app pointing there,
   * and resolves once `/healthz` answers 200.
   */
  static async start(): Promise<OrgsyncServer> {
    const bin = binaryPath();
    const sim = await Simulator.start();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "orgsync-e2e-"));
    const port = await freePort();
    const listen = `127.0.0.1:${port}`;
    const output = new OutputBuffer();
    const serve = OrgsyncServer.spawnServe(bin, listen, dataDir, sim, output);
    const server = new OrgsyncServer(`http://${listen}`, dataDir, bin, listen, serve, output, sim);
    try {
      await server.waitUntilHealthy();
    } catch (error) {
      await server.stop();
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message}\n--- orgsync serve output ---\n${output.since(0) || "(none)"}`);
    }
    return server;
  }

  /** Spawns `orgsync serve` on `listen` with `dataDir`, its output going to `output`. */
  private static spawnServe(
    bin: string,
    listen: string,
    dataDir: string,
    sim: Simulator,
    output: OutputBuffer,
  ): ServeProcess {
    const child = spawn(bin, ["serve", "--listen", listen, "--data-dir", dataDir], {
      cwd: dataDir,
      env: childEnv({
        ORGSYNC_SALESFORCE_CLIENT_ID: Simulator.CLIENT_ID,
        ORGSYNC_SALESFORCE_CLIENT_SECRET: Simulator.CLIENT_SECRET,
        ORGSYNC_SALESFORCE_LOGIN_URL: sim.baseURL,
        ...SYNC_TIMINGS,
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    liveServers.add(child);
    child.stdout?.on("data", (chunk) => output.push(chunk));
    child.stderr?.on("data", (chunk) => output.push(chunk));
    let spawnError: Error | undefined;
    child.once("error", (error) => {
      spawnError = error;
    });
    const exited = new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    });
    return { child, exited, spawnError: () => spawnError };
  }

  private async waitUntilHealthy(): Promise<void> {
    const { child, spawnError } = this.serve;
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let lastProblem = "no answer yet";
    while (Date.now() < deadline) {
      const error = spawnError();
      if (error) throw new Error(`could not start ${this.bin}: ${error.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `orgsync serve exited (code ${child.exitCode}, signal ${child.signalCode}) before it was healthy`,
        );
      }
      try {
        const response = await fetch(`${this.baseURL}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (response.status === 200) return;
        lastProblem = `GET /healthz answered ${response.status}`;
      } catch (error) {
        lastProblem = `GET /healthz failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      await sleep(100);
    }
    throw new Error(`orgsync serve was not healthy within ${STARTUP_TIMEOUT_MS / 1000} s (${lastProblem})`);
  }

  /** SIGTERM the `serve` process and wait for its exit (SIGKILL after 10 s). */
  private async stopServe(): Promise<void> {
    const { child, exited } = this.serve;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timedOut = await Promise.race([
        exited.then(() => false),
        sleep(SHUTDOWN_TIMEOUT_MS).then(() => true),
      ]);
      if (timedOut) {
        console.warn(
          `orgsync serve did not exit within ${SHUTDOWN_TIMEOUT_MS / 1000} s of SIGTERM; killing it.\n` +
            this.logs().slice(-4_000),
        );
        child.kill("SIGKILL");
        await exited;
      }
    }
    liveServers.delete(child);
  }

  /**
   * Stops the `serve` process the way an operator would (SIGTERM), runs `whileDown` (for
   * example changes in Salesforce while orgsync is not listening), then starts it again on
   * the same port and data directory, with the same simulator, and waits for `/healthz`.
   * Everything stored (users, sessions, tokens, syncs and their cursors) survives; give the
   * test `SERVER_FIXTURE_TIMEOUT_MS` more time.
   */
  async restart(whileDown: () => Promise<void> = async () => {}): Promise<void> {
    if (this.stopped) throw new Error("restart() after stop()");
    await this.stopServe();
    await whileDown();
    this.serve = OrgsyncServer.spawnServe(this.bin, this.listen, this.dataDir, this.sim, this.output);
    await this.waitUntilHealthy();
  }

  /** SIGTERM, wait for the exit (SIGKILL after 10 s), then delete the data directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.stopServe();
    await this.sim.stop();
    if (process.env.E2E_KEEP_DATA) {
      console.log(`E2E_KEEP_DATA: kept ${this.dataDir}`);
    } else {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  /** Everything the server printed (the last 2 MB of it). */
  logs(): string {
    return this.output.since(0);
  }

  /** A mark in the server output, for `logsSince`. */
  logOffset(): number {
    return this.output.offset;
  }

  /** What the server printed after `logOffset()` returned `offset`. */
  logsSince(offset: number): string {
    return this.output.since(offset);
  }

  /**
   * Runs `orgsync <args...> --data-dir <this server's data dir>` and returns its exit code and
   * output. `password` is passed as `ORGSYNC_PASSWORD`.
   */
  cli(args: string[], opts: { password?: string } = {}): Promise<CliResult> {
    const extra: Record<string, string> = {};
    if (opts.password !== undefined) extra.ORGSYNC_PASSWORD = opts.password;
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin, [...args, "--data-dir", this.dataDir], {
        cwd: this.dataDir,
        env: childEnv(extra),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk) => (stdout += chunk.toString()));
      child.stderr?.on("data", (chunk) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`orgsync ${args.join(" ")} took longer than ${CLI_TIMEOUT_MS / 1000} s`));
      }, CLI_TIMEOUT_MS);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Like `cli`, but throws (showing the output) unless the command exits 0. */
  async cliOk(args: string[], opts: { password?: string } = {}): Promise<CliResult> {
    const result = await this.cli(args, opts);
    if (result.code !== 0) {
      throw new Error(
        `orgsync ${args.join(" ")} exited with ${result.code}\n` +
          `--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
      );
    }
    return result;
  }

  /** The one-time first-run code the server wrote to `<dataDir>/setup-code`. */
  setupCode(): string {
    return fs.readFileSync(path.join(this.dataDir, "setup-code"), "utf8").trim();
  }

  /** Creates an organization through the CLI; `integrations` (default on) sets its flag. */
  async createOrg(opts: { name?: string; integrations?: boolean } = {}): Promise<string> {
    const name = opts.name ?? uniqueName("org");
    await this.cliOk(["org", "create", name]);
    if (opts.integrations ?? true) await this.setFlag(name, "integrations", true);
    return name;
  }

  /** `orgsync org flag <org> <flag> on|off`. */
  async setFlag(org: string, flag: string, on: boolean): Promise<void> {
    await this.cliOk(["org", "flag", org, flag, on ? "on" : "off"]);
  }

  /**
   * Creates a user through the CLI, in a fresh organization unless `org` is given. (On a
   * server still in first run, the first user created this way ends first run.)
   */
  async createUser(opts: CreateUserOptions): Promise<Credentials> {
    const org = opts.org ?? (await this.createOrg({ integrations: opts.integrations }));
    const username = opts.username ?? uniqueName(opts.role);
    const password = opts.password ?? uniquePassword();
    await this.cliOk(["user", "create", "--org", org, "--username", username, "--role", opts.role], {
      password,
    });
    return { org, username, password, role: opts.role };
  }

  /**
   * Creates an administrator of a fresh organization (`integrations` flag on unless told
   * otherwise) and, unless `signIn: false`, signs `page` in as them.
   */
  async createAdmin(
    page: Page,
    opts: { integrations?: boolean; signIn?: boolean } = {},
  ): Promise<Credentials> {
    const admin = await this.createUser({ role: "admin", integrations: opts.integrations });
    if (opts.signIn ?? true) await signIn(page, admin.username, admin.password);
    return admin;
  }

  /** `signIn` bound for convenience: `app.signIn(page, user, pass)`. */
  signIn(page: Page, username: string, password: string, opts: { next?: string } = {}): Promise<void> {
    return signIn(page, username, password, opts);
  }
}

/** Starts a server of the test's own; `stop()` it in a `finally`. */
export function startServer(): Promise<OrgsyncServer> {
  return OrgsyncServer.start();
}

/** True for the sign-in page, whatever its query string. */
export const isLoginPage = (url: URL): boolean => url.pathname === "/login";

/**
 * Signs in through the sign-in form and waits until the browser has left `/login`.
 * `next` is sent as `?next=` (where to land afterwards).
 */
export async function signIn(
  page: Page,
  username: string,
  password: string,
  opts: { next?: string } = {},
): Promise<void> {
  await page.goto(opts.next ? `/login?next=${encodeURIComponent(opts.next)}` : "/login");
  await expect(page.getByRole("heading", { name: "Sign in to orgsync" })).toBeVisible();
  await fillSignInForm(page, username, password);
  await expect(page, `signing in as ${username} should leave /login`).not.toHaveURL(isLoginPage);
}

/** Fills the sign-in form on the current page and presses "Sign in". */
export async function fillSignInForm(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel("Username", { exact: true }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** The Admin module's sidebar. */
export const adminNav = (page: Page) => page.getByRole("navigation", { name: "Admin" });

/** The page's main (level 1) heading with this name. */
export const pageHeading = (page: Page, name: string) =>
  page.getByRole("heading", { level: 1, name, exact: true });

/**
 * Saves a full-page screenshot to `end2end/screenshots/<name>.png` for humans to look at
 * (`<name>.<project>.png` outside the `hydrated` project, so both runs are kept).
 */
export async function screenshot(page: Page, name: string, testInfo: TestInfo): Promise<void> {
  const project = testInfo.project.name;
  const file = project === "hydrated" ? `${name}.png` : `${name}.${project}.png`;
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, file), fullPage: true });
}

/**
 * Records, for every document `page` loads from now on, when the wasm bundle has been
 * instantiated. Call before `goto`; then `waitForHydration`.
 *
 * Leptos' hydration script calls `hydrate()` in the promise continuation right after
 * wasm-bindgen's `WebAssembly.instantiate(Streaming)` resolves, so once the flag set here is
 * visible to a later task, hydration has run.
 */
export async function watchHydration(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __orgsyncWasmReady?: boolean };
    const wasm = WebAssembly as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of ["instantiateStreaming", "instantiate"]) {
      const original = wasm[name];
      if (typeof original !== "function") continue;
      wasm[name] = (...args: unknown[]) =>
        original.apply(WebAssembly, args).then((result) => {
          w.__orgsyncWasmReady = true;
          return result;
        });
    }
  });
}

/** Waits until the current document's wasm has been instantiated and hydrated (see `watchHydration`). */
export async function waitForHydration(page: Page): Promise<void> {
  await page.waitForFunction(
    () => (window as unknown as { __orgsyncWasmReady?: boolean }).__orgsyncWasmReady === true,
    undefined,
    { polling: "raf" },
  );
}

/**
 * Records every `EventSource` that `page` opens from now on (call before `goto`), so that a test
 * can see the live status stream: `waitForLiveStream`, or read `__eventSources` itself.
 */
export async function recordEventSources(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __eventSources: EventSource[]; EventSource: typeof EventSource };
    const Original = w.EventSource;
    w.__eventSources = [];
    w.EventSource = class extends Original {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        w.__eventSources.push(this);
      }
    };
  });
}

/**
 * Waits until the newest `EventSource` of the current document (the page's live status
 * stream, see `recordEventSources`) is open. The server subscribes the stream to its status
 * bus before it answers, so from then on the page misses no change.
 */
export async function waitForLiveStream(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const sources = (window as unknown as { __eventSources?: EventSource[] }).__eventSources ?? [];
    return sources.length > 0 && sources[sources.length - 1].readyState === EventSource.OPEN;
  });
}

// ---------------------------------------------------------------------------------------------
// Campaigns, Data Sources and Org Syncs against the simulator (shared by the hydrated specs).
// ---------------------------------------------------------------------------------------------

/** "Last sync" once something was synchronized. */
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/;
/** A REST sync polls every 5 "minutes" (5 s here); give the engine a few rounds. */
export const POLL_MS = 5 * POLL_UNIT_SECS * 1_000;
export const LIVE_TIMEOUT_MS = 4 * POLL_MS + 10_000;

/** The object the `Admin` helpers synchronize. */
export const OBJECT = "Contact";

/** A record as the simulator's control API returns it. */
export type SimRecord = { Id: string } & Record<string, unknown>;

/** Readiness code → count, as the campaign page's Dial-readiness card shows them. */
export type Counts = Record<string, number>;

/** The simulated org's current (not deleted) records of `object`. */
export async function simRecords(app: OrgsyncServer, object: string): Promise<SimRecord[]> {
  const body = (await app.sim.control(`records/${object}`, { method: "GET" })) as { records: SimRecord[] };
  return body.records;
}

/** Salesforce's null: missing, `null` or empty text (server/filters/src/eval.rs). */
export const isEmpty = (value: unknown) => value === undefined || value === null || value === "";
export const sameText = (a: unknown, b: string) =>
  typeof a === "string" && a.toLocaleUpperCase() === b.toLocaleUpperCase();

/** The filter every `Admin` Data Source uses: `LeadSource equals <source> and Phone is not empty`. */
export const matches = (record: SimRecord, source: string) =>
  sameText(record.LeadSource, source) && !isEmpty(record.Phone);

/**
 * The LeadSource value with the most matching records, at least three of them without
 * DoNotCall (so a test has records whose readiness a change in Salesforce can move).
 */
export function chooseSource(records: SimRecord[]): { source: string; matching: SimRecord[] } {
  const sources = [...new Set(records.map((r) => r.LeadSource).filter((s): s is string => typeof s === "string"))];
  let best: { source: string; matching: SimRecord[] } | undefined;
  for (const source of sources) {
    const matching = records.filter((r) => matches(r, source));
    if (!best || matching.length > best.matching.length) best = { source, matching };
  }
  if (!best || best.matching.filter((r) => r.DoNotCall !== true).length < 3) {
    throw new Error(`the simulator's ${OBJECT}s offer no LeadSource with enough matching records`);
  }
  return best;
}

/** `LeadSource` values of the simulated org other than `source` (to make a record stop matching). */
export function otherSource(records: SimRecord[], source: string): string {
  const other = records
    .map((r) => r.LeadSource)
    .find((s): s is string => typeof s === "string" && !sameText(s, source));
  return other ?? "Other";
}

export const syncSettings = (page: Page) => page.getByRole("dialog", { name: "Sync Settings" });
export const syncRow = (page: Page) => syncSettings(page).getByRole("group", { name: OBJECT, exact: true });
export const readinessCard = (page: Page) => page.getByRole("region", { name: "Dial-readiness" });
export const recordsSection = (page: Page) => page.getByRole("region", { name: "Records", exact: true });
export const attachForm = (page: Page) => page.getByRole("region", { name: "Attach a Data Source" });
export const campaignTabs = (page: Page) => page.getByRole("navigation", { name: "Campaign" });
/** The campaign's records table (the current page of it). */
export const campaignRecords = (page: Page) => page.getByRole("table", { name: "Campaign records" });

/** The Dial-readiness card's counts by reason code (reasons with no record are not shown). */
export async function readiness(page: Page): Promise<Counts> {
  return readinessCard(page)
    .locator("dd[data-reason]")
    .evaluateAll((items) =>
      Object.fromEntries(items.map((item) => [item.getAttribute("data-reason") ?? "?", Number(item.textContent)])),
    );
}

export const sum = (counts: Counts) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Marks the current document; `sameDocument` is then true until a reload. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __e2eSameDocument?: boolean }).__e2eSameDocument = true;
  });
}
export const sameDocument = (page: Page) =>
  page.evaluate(() => (window as unknown as { __e2eSameDocument?: boolean }).__e2eSameDocument === true);

/** Waits for the answer of the server function `/api/<endpoint>` to a POST. */
export const answerOf = (page: Page, endpoint: string): Promise<Response> =>
  page.waitForResponse(
    (response) => new URL(response.url()).pathname === `/api/${endpoint}` && response.request().method() === "POST",
  );

/**
 * Disconnects Salesforce for the signed-in administrator of `page` (IN-07), so that no sync of
 * the test keeps calling the worker's simulator, which the next test shares.
 */
export async function disconnectSalesforce(page: Page, app: OrgsyncServer): Promise<void> {
  const disconnected = await page.request.post("/api/disconnect_salesforce", {
    headers: { Origin: app.baseURL, "Content-Type": "application/x-www-form-urlencoded" },
    data: "",
    maxRedirects: 0,
  });
  expect(disconnected.status(), `Disconnect after the test: ${await disconnected.text()}`).toBeLessThan(400);
}

/** What a test builds: its Data Source, and the simulator's records it should match. */
export interface Built {
  orgSyncId: string;
  dataSource: string;
  source: string;
  /** The simulator's records the filter matches (at the time the Data Source was built). */
  matching: SimRecord[];
  /** All the simulator's records of the object (same time). */
  all: SimRecord[];
}

/** The fields an `Admin` Data Source reads unless told otherwise. */
export const DATA_SOURCE_FIELDS = ["Phone", "MobilePhone", "LeadSource", "Department"];

/** Drives the admin pages (Integrations, Data Sources, Campaigns) for one test's organization. */
export class Admin {
  constructor(
    readonly page: Page,
    readonly app: OrgsyncServer,
  ) {}

  static async start(page: Page, app: OrgsyncServer): Promise<Admin> {
    await watchHydration(page);
    await recordEventSources(page);
    await app.createAdmin(page);
    return new Admin(page, app);
  }

  async open(path: string): Promise<void> {
    await this.page.goto(path);
    await waitForHydration(this.page);
  }

  /** Set up (IN-04), or Reset Token (IN-06), against the simulator. */
  async connectSalesforce(button: "Set up" | "Reset Token" = "Set up"): Promise<void> {
    const { page } = this;
    await this.open("/admin/integrations");
    const opened = page.waitForEvent("popup");
    await page.getByRole("region", { name: "Salesforce" }).getByRole("button", { name: button, exact: true }).click();
    const popup = await opened;
    await popup.waitForURL(/\/services\/oauth2\/authorize/);
    await popup.getByLabel("Username").fill(Simulator.USERNAME);
    await popup.getByLabel("Password").fill(Simulator.PASSWORD);
    const closed = popup.waitForEvent("close");
    await popup.getByRole("button", { name: "Allow", exact: true }).click();
    await closed;
    await expect(page).toHaveURL(button === "Set up" ? /salesforce=connected$/ : /salesforce=token-replaced$/);
  }

  /** Adds the Contact Org Sync (disabled, CDC, OS-02) from Sync Settings; returns its id. */
  async addObject(): Promise<string> {
    const { page } = this;
    await this.open("/admin/integrations?modal=sync-settings");
    const added = answerOf(page, "add_org_sync");
    await syncSettings(page).getByRole("region", { name: "Add object" }).getByRole("button", { name: OBJECT }).click();
    await added;
    const row = syncRow(page);
    await expect(row).toBeVisible();
    const id = await row.getAttribute("data-sync-id");
    expect(id, "the row names its Org Sync").toBeTruthy();
    return id ?? "";
  }

  /** Switches the Contact Org Sync on with `method` (REST Polling every 5 min, or CDC) and saves. */
  async enableSync(method: "rest" | "cdc"): Promise<void> {
    const { page } = this;
    await this.open("/admin/integrations?modal=sync-settings");
    const row = syncRow(page);
    await row.getByLabel("Method").selectOption(method);
    if (method === "rest") await row.getByLabel("Interval").selectOption({ label: "5 min" });
    await row.getByRole("switch", { name: "Enabled" }).check();
    const saved = answerOf(page, "save_org_sync");
    await row.getByRole("button", { name: "Save" }).click();
    expect((await saved).status(), "Save answered").toBe(200);
  }

  /**
   * `enableSync`, then waits for the first read (the backfill): done once Last sync shows, no
   * progress bar is left and the row is Active.
   */
  async startSync(method: "rest" | "cdc"): Promise<void> {
    await this.enableSync(method);
    const row = syncRow(this.page);
    await expect(row.locator(".sync-last")).toHaveText(TIMESTAMP, { timeout: LIVE_TIMEOUT_MS });
    await expect(row.getByRole("progressbar")).toHaveCount(0, { timeout: LIVE_TIMEOUT_MS });
    await expect(row.locator(".status-label")).toHaveText("Active");
  }

  /** Adds the Contact Org Sync on REST Polling every 5 min, on; waits for its first poll. */
  async addRestSync(): Promise<string> {
    const id = await this.addObject();
    await this.startSync("rest");
    return id;
  }

  /** Opens the editor of a new Contact Data Source from the Data Sources page. */
  async openNewDataSource(orgSyncId: string): Promise<void> {
    const { page } = this;
    await this.open("/admin/data-sources");
    await expect(pageHeading(page, "Data Sources")).toBeVisible();
    const button = page.getByRole("link", { name: `New ${OBJECT} Data Source`, exact: true });
    await expect(button).toHaveAttribute("href", `/admin/data-sources/new?org_sync=${orgSyncId}`);
    await button.click();
    await expect(pageHeading(page, `New ${OBJECT} Data Source`)).toBeVisible();
  }

  /** The editor's checkbox for a field (its id is `ds-field-<API name>`). */
  fieldCheckbox(field: string): Locator {
    return this.page
      .getByRole("group", { name: "Fields it reads" })
      .locator(`input[type="checkbox"][value="${field}"]`);
  }

  /** Fills the editor: name, fields, and `LeadSource equals <source>` + `Phone is not empty`. */
  async fillEditor(name: string, source: string, fields: string[] = DATA_SOURCE_FIELDS): Promise<void> {
    const { page } = this;
    await page.getByLabel("Name", { exact: true }).fill(name);
    for (const field of fields) {
      await this.fieldCheckbox(field).check();
      await expect(this.fieldCheckbox(field)).toBeChecked();
    }
    // A new Data Source starts with one empty condition.
    const rows = page.locator(".filter-row");
    await expect(rows).toHaveCount(1);
    const first = rows.nth(0);
    await first.getByLabel("Field", { exact: true }).selectOption("LeadSource");
    await first.getByLabel("Operator", { exact: true }).selectOption({ label: "equals" });
    await first.getByLabel("Value", { exact: true }).fill(source);
    await page.getByRole("button", { name: "Add condition" }).click();
    await expect(rows).toHaveCount(2);
    const second = rows.nth(1);
    await second.getByLabel("Field", { exact: true }).selectOption("Phone");
    await second.getByLabel("Operator", { exact: true }).selectOption({ label: "is not empty" });
    await expect(second.getByLabel("Value", { exact: true })).toBeDisabled();
  }

  /** Presses Preview and returns the count line once the answer is shown. */
  async preview(): Promise<string> {
    const { page } = this;
    const answered = answerOf(page, "preview_data_source");
    await page.getByRole("button", { name: "Preview", exact: true }).click();
    expect((await answered).status(), "Preview answered").toBe(200);
    const count = page.getByTestId("preview").locator(".preview-count");
    await expect(count).toBeVisible();
    return (await count.innerText()).trim();
  }

  /** Save Data Source; the editor goes back to the Data Sources page. */
  async saveDataSource(): Promise<void> {
    const { page } = this;
    const answered = answerOf(page, "save_data_source");
    await page.getByRole("button", { name: "Save Data Source" }).click();
    const response = await answered;
    expect(response.status(), `Save Data Source: ${await response.text()}`).toBe(200);
    await expect(page).toHaveURL((url) => url.pathname === "/admin/data-sources");
    await expect(pageHeading(page, "Data Sources")).toBeVisible();
  }

  dataSourceRow(name: string): Locator {
    return this.page.getByRole("table", { name: "Data Sources" }).locator(`tr[data-data-source="${name}"]`);
  }

  /** Connect, add the sync, build a Data Source through the editor; no preview checks. */
  async buildDataSource(): Promise<Built> {
    await this.connectSalesforce();
    const orgSyncId = await this.addRestSync();
    const all = await simRecords(this.app, OBJECT);
    const { source, matching } = chooseSource(all);
    const dataSource = uniqueName("ds");
    await this.openNewDataSource(orgSyncId);
    await this.fillEditor(dataSource, source);
    await this.saveDataSource();
    await expect(this.dataSourceRow(dataSource)).toBeVisible();
    return { orgSyncId, dataSource, source, matching, all };
  }

  /**
   * Creates a campaign on /admin/campaigns (phone slots "Primary, Mobile", the given custom
   * fields) and opens it; returns its page's path.
   */
  async createCampaign(name: string, customFields = "Source, Department"): Promise<string> {
    const { page } = this;
    await this.open("/admin/campaigns");
    await expect(pageHeading(page, "Campaigns")).toBeVisible();
    const form = page.getByRole("region", { name: "New campaign" });
    await form.getByLabel("Name", { exact: true }).fill(name);
    await form.getByLabel("Phone number slots").fill("Primary, Mobile");
    await form.getByLabel("Custom fields").fill(customFields);
    await expect(form.getByLabel("Default region")).toHaveValue("US");
    const created = answerOf(page, "create_campaign");
    await form.getByRole("button", { name: "Create campaign" }).click();
    expect((await created).status(), "Create campaign answered").toBe(200);
    const row = page.getByRole("table", { name: "Campaigns" }).locator(`tr[data-campaign="${name}"]`);
    await expect(row).toBeVisible();
    await expect(row.getByRole("cell").nth(1)).toHaveText("Primary, Mobile");
    await expect(row.getByRole("cell").nth(2)).toHaveText("0");
    await row.getByRole("link", { name }).click();
    await expect(pageHeading(page, name)).toBeVisible();
    await expect(page).toHaveURL(/\/admin\/campaigns\/\d+$/);
    return new URL(page.url()).pathname;
  }

  /** The Data Sources tab of the open campaign (a client-side navigation). */
  async openLinksTab(): Promise<void> {
    await campaignTabs(this.page).getByRole("link", { name: "Data Sources" }).click();
    await expect(this.page).toHaveURL(/[?&]tab=data-sources/);
    await expect(
      attachForm(this.page)
        .or(this.page.getByText("Every Data Source is attached."))
        .or(this.page.getByText("There is no Data Source yet.")),
    ).toBeVisible();
  }

  async openRecordsTab(): Promise<void> {
    await campaignTabs(this.page).getByRole("link", { name: "Records" }).click();
    await expect(this.page).toHaveURL(/[?&]tab=records/);
    await expect(recordsSection(this.page)).toBeVisible();
  }

  /** Presses Attach and waits for the server's answer. */
  async pressAttach(): Promise<Response> {
    const answered = answerOf(this.page, "save_link");
    await attachForm(this.page).getByRole("button", { name: "Attach" }).click();
    return answered;
  }

  /**
   * Attaches the Data Source with Primary ← Phone, Mobile ← MobilePhone and each custom
   * field ← its Salesforce field in `customFields` (default: Source ← LeadSource).
   */
  async attach(dataSource: string, customFields: Record<string, string> = { Source: "LeadSource" }): Promise<void> {
    const form = attachForm(this.page);
    await form.getByLabel("Data Source", { exact: true }).selectOption({ label: `${dataSource} (${OBJECT})` });
    await form.getByLabel("Phone: Primary").selectOption("Phone");
    await form.getByLabel("Phone: Mobile").selectOption("MobilePhone");
    for (const [campaignField, salesforceField] of Object.entries(customFields)) {
      await form.getByLabel(`Custom field: ${campaignField}`).selectOption(salesforceField);
    }
    const response = await this.pressAttach();
    expect(response.status(), `Attach: ${await response.text()}`).toBe(200);
    await expect(this.page.locator(`[data-link="${dataSource}"]`)).toBeVisible();
  }

  /** Builds everything up to a campaign with the Data Source attached; the records tab is open. */
  async campaignWithLink(): Promise<Built & { campaign: string; path: string }> {
    const built = await this.buildDataSource();
    const campaign = uniqueName("campaign");
    const path = await this.createCampaign(campaign);
    await this.openLinksTab();
    await this.attach(built.dataSource);
    await this.openRecordsTab();
    await this.waitForRecords(built.matching.length);
    return { ...built, campaign, path };
  }

  /** Waits (live, no reload) until the campaign holds `total` records. */
  async waitForRecords(total: number): Promise<void> {
    await expect(recordsSection(this.page).locator(".records-count")).toHaveText(recordCount(total), {
      timeout: LIVE_TIMEOUT_MS,
    });
    await expect(readinessCard(this.page).locator(".readiness-total")).toHaveText(`${recordCount(total)} in all`);
  }
}

/** How the campaign page counts records: "1 record", "0 records", "12 records". */
export const recordCount = (total: number): string => (total === 1 ? "1 record" : `${total} records`);

type WorkerFixtures = {
  /** This worker's orgsync server. */
  app: OrgsyncServer;
};

/**
 * Console errors that are not problems: Chromium logs one for every answer with an error
 * status, and tests visit forbidden and missing pages on purpose (the status is asserted
 * where it matters). Anything else logged as an error fails the test.
 */
const EXPECTED_CONSOLE_ERRORS: RegExp[] = [
  /^Failed to load resource: the server responded with a status of 4\d\d /,
];

type TestFixtures = {
  /** Attaches the server output produced during a failed test to its report. */
  serverLogOnFailure: void;
  /**
   * Console errors this test causes on purpose (`test.use({ allowedConsoleErrors: [...] })`).
   */
  allowedConsoleErrors: RegExp[];
  /**
   * Fails the test if any page of its browser context logged a console error (a
   * Content-Security-Policy violation is one) or threw an uncaught exception.
   */
  failOnBrowserErrors: void;
};

export const test = base.extend<TestFixtures, WorkerFixtures>({
  app: [
    async ({}, use) => {
      const server = await startServer();
      try {
        // End first run through the CLI, so `/login` shows the sign-in form from the start
        // whichever test runs first. (first-admin.spec.ts tests first run on its own server.)
        await server.createUser({ role: "viewer", username: uniqueName("baseline") });
        await use(server);
      } finally {
        await server.stop();
      }
    },
    { scope: "worker", timeout: SERVER_FIXTURE_TIMEOUT_MS },
  ],

  baseURL: async ({ app }, use) => {
    await use(app.baseURL);
  },

  serverLogOnFailure: [
    async ({ app }, use, testInfo) => {
      const start = app.logOffset();
      await use();
      if (testInfo.status !== testInfo.expectedStatus) {
        // Also on disk (test-results/), whole: the list reporter prints only the start.
        const logFile = testInfo.outputPath("orgsync-server.log");
        await fs.promises.writeFile(logFile, app.logsSince(start) || "(no output)");
        await testInfo.attach("orgsync-server.log", { path: logFile, contentType: "text/plain" });
      }
    },
    { auto: true },
  ],

  allowedConsoleErrors: [[], { option: true }],

  failOnBrowserErrors: [
    async ({ context, allowedConsoleErrors }, use) => {
      const problems: string[] = [];
      const allowed = [...EXPECTED_CONSOLE_ERRORS, ...allowedConsoleErrors];
      const onConsole = (message: ConsoleMessage) => {
        if (message.type() !== "error") return;
        const text = message.text();
        if (allowed.some((pattern) => pattern.test(text))) return;
        problems.push(`console error on ${message.page()?.url() ?? "?"}: ${text}`);
      };
      const onWebError = (error: WebError) => {
        problems.push(`uncaught exception on ${error.page()?.url() ?? "?"}: ${error.error().stack ?? error.error().message}`);
      };
      context.on("console", onConsole);
      context.on("weberror", onWebError);
      await use();
      context.off("console", onConsole);
      context.off("weberror", onWebError);
      expect(problems, "the browser reported errors (CSP violations, uncaught exceptions)").toEqual([]);
    },
    { auto: true },
  ],
});
