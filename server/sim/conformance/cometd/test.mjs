// Conformance: the real `cometd` npm client (with cometd-nodejs-client for Node's
// XMLHttpRequest) and a Salesforce-style replay extension against the simulator's Streaming API.
//
// Environment:
//   SIM_URL      base URL of the simulator, e.g. http://127.0.0.1:8443 (required)
//   SIM_TOKEN    a valid access token (required)
//   SIM_API      API version in /cometd/{v} (default 62.0)
//   SIM_TRIGGER  shell command that makes ONE Contact change, setting Phone to
//                `+1415555` + SIM_SEQ padded to 4 digits (run once per change, with SIM_RECORD_ID
//                and SIM_SEQ in its environment) (required)
//   SIM_EXPIRE   shell command that expires every CometD client; without it that test is skipped.
// server/sim/conformance/run.sh sets all of them against `orgsync sim --tls`.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execSync } from "node:child_process";
import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";

adapt();

const SIM_URL = process.env.SIM_URL;
const SIM_TOKEN = process.env.SIM_TOKEN;
if (!SIM_URL || !SIM_TOKEN || !process.env.SIM_TRIGGER) {
    throw new Error("SIM_URL, SIM_TOKEN and SIM_TRIGGER are required");
}
const API = process.env.SIM_API || "62.0";
const CHANNEL = "/data/ContactChangeEvent";

let seq = 0;
async function triggerChange() {
    seq += 1;
    const recordId = `003${String(seq).padStart(12, "0")}AAA`;
    execSync(process.env.SIM_TRIGGER, { stdio: "inherit", env: { ...process.env, SIM_RECORD_ID: recordId, SIM_SEQ: String(seq) } });
}

function expireClients() {
    execSync(process.env.SIM_EXPIRE, { stdio: "inherit" });
}

/**
 * The replay extension as in Salesforce's cometdReplayExtension.js / jsforce's
 * StreamingExtension.Replay: enabled only when the handshake reply carries ext.replay=true;
 * puts the channel→replayId map into ext.replay of every /meta/subscribe; remembers the
 * replay id of every delivered event so a re-handshake resumes where it left off.
 */
class ReplayExtension {
    constructor() {
        this.enabled = false;
        this.replay = {};
    }
    setReplay(channel, replayId) {
        this.replay[channel] = replayId;
    }
    incoming(message) {
        if (message.channel === "/meta/handshake") {
            this.enabled = Boolean(message.ext && message.ext.replay === true);
        } else if (!message.channel.startsWith("/meta/") && message.data && message.data.event) {
            this.replay[message.channel] = message.data.event.replayId;
        }
        return message;
    }
    outgoing(message) {
        if (message.channel === "/meta/subscribe" && this.enabled) {
            message.ext = message.ext || {};
            message.ext.replay = { ...this.replay };
        }
        return message;
    }
}

const clients = [];
after(() => {
    for (const cometd of clients) {
        if (!cometd.isDisconnected()) {
            cometd.disconnect();
        }
    }
});

/** A client that (re)subscribes to CHANNEL after every successful handshake. */
function newClient({ authorization = `Bearer ${SIM_TOKEN}`, replayFrom = -1, websocket = false } = {}) {
    const cometd = new CometD();
    clients.push(cometd);
    if (!websocket) {
        // Salesforce supports long-polling only; its own CometD samples disable websocket.
        cometd.unregisterTransport("websocket");
    }
    const headers = authorization ? { Authorization: authorization } : {};
    cometd.configure({ url: `${SIM_URL}/cometd/${API}`, requestHeaders: headers, logLevel: "warn" });
    const replay = new ReplayExtension();
    replay.setReplay(CHANNEL, replayFrom);
    cometd.registerExtension("replay", replay);
    const state = { cometd, replay, events: [], subscribeReplies: [], handshakes: [], waiters: [] };
    const notify = () => {
        state.waiters = state.waiters.filter((w) => !w());
    };
    cometd.addListener("/meta/handshake", (reply) => {
        state.handshakes.push(reply);
        if (reply.successful) {
            cometd.subscribe(CHANNEL, (event) => {
                state.events.push(event);
                notify();
            }, (subscribeReply) => {
                state.subscribeReplies.push(subscribeReply);
                notify();
            });
        }
        notify();
    });
    state.until = (predicate, what, timeoutMs = 10000) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
        const check = () => {
            if (predicate(state)) {
                clearTimeout(timer);
                resolve(state);
                return true;
            }
            return false;
        };
        if (!check()) {
            state.waiters.push(check);
        }
    });
    state.disconnect = () => new Promise((resolve) => cometd.disconnect(resolve));
    return state;
}

function replayIds(events) {
    return events.map((e) => e.data.event.replayId);
}

function assertIncreasing(ids) {
    for (let i = 1; i < ids.length; i++) {
        assert.ok(ids[i] > ids[i - 1], `replay ids must increase: ${ids}`);
    }
}

let firstRunIds = [];

test("Bearer handshake, subscribe with replay -1, changes arrive with increasing replay ids", async () => {
    const client = newClient();
    client.cometd.handshake();
    await client.until((s) => s.subscribeReplies.length === 1, "subscribe reply");
    const handshake = client.handshakes[0];
    assert.equal(handshake.successful, true);
    assert.deepEqual(handshake.supportedConnectionTypes, ["long-polling"]);
    assert.equal(handshake.ext.replay, true);
    assert.equal(client.replay.enabled, true, "the replay extension enabled itself");
    assert.equal(client.subscribeReplies[0].successful, true, JSON.stringify(client.subscribeReplies[0]));
    assert.equal(client.cometd.getTransport().type, "long-polling");
    // Let the first (immediate) connect complete so the next one is a held long poll.
    await new Promise((r) => setTimeout(r, 200));

    for (let i = 0; i < 5; i++) {
        await triggerChange();
    }
    await client.until((s) => s.events.length >= 5, "5 change events");
    const ids = replayIds(client.events);
    assert.equal(ids.length, 5);
    assertIncreasing(ids);
    client.events.forEach((event, i) => {
        assert.equal(event.channel, CHANNEL);
        assert.equal(typeof event.data.schema, "string");
        const header = event.data.payload.ChangeEventHeader;
        assert.equal(header.entityName, "Contact");
        assert.equal(header.changeType, "UPDATE");
        assert.equal(header.recordIds.length, 1);
        assert.ok(header.changedFields.includes("Phone"), JSON.stringify(header.changedFields));
        // The i-th change of this run set Phone to +1415555<seq>.
        assert.equal(event.data.payload.Phone, `+1415555${String(i + 1).padStart(4, "0")}`);
        assert.ok(Number.isInteger(event.data.event.replayId));
    });
    firstRunIds = ids;
    await client.disconnect();
    assert.equal(client.cometd.isDisconnected(), true);
});

test("a new client replays from a stored replay id (events after it only)", async () => {
    assert.equal(firstRunIds.length, 5, "needs the previous test");
    const client = newClient({ replayFrom: firstRunIds[1] });
    client.cometd.handshake();
    await client.until((s) => s.events.length >= 3, "3 replayed events");
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(replayIds(client.events), firstRunIds.slice(2));
    await client.disconnect();
});

test("replay -2 replays every retained event, OAuth scheme accepted", async () => {
    const client = newClient({ authorization: `OAuth ${SIM_TOKEN}`, replayFrom: -2 });
    client.cometd.handshake();
    await client.until((s) => s.events.length >= 5, "all retained events");
    const ids = replayIds(client.events);
    assertIncreasing(ids);
    for (const id of firstRunIds) {
        assert.ok(ids.includes(id), `replayed ${id}`);
    }
    await client.disconnect();
});

test("an invalid replay id fails the subscribe with Salesforce's error text", async () => {
    const bogus = 987654321;
    const client = newClient({ replayFrom: bogus });
    client.cometd.handshake();
    await client.until((s) => s.subscribeReplies.length === 1, "subscribe reply");
    const reply = client.subscribeReplies[0];
    assert.equal(reply.successful, false);
    assert.equal(
        reply.error,
        `400::The replayId {${bogus}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
    );
    await client.disconnect();
});

test("a handshake without a token is denied and the client stops", async () => {
    const client = newClient({ authorization: null });
    client.cometd.handshake();
    await client.until((s) => s.handshakes.length >= 1, "handshake reply");
    const reply = client.handshakes[0];
    assert.equal(reply.successful, false);
    assert.equal(reply.error, "403::Handshake denied");
    assert.equal(reply.ext.sfdc.failureReason, "401::Request requires authentication");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(client.handshakes.length, 1, "advice reconnect:none stops the client");
    assert.equal(client.cometd.isDisconnected(), true);
});

test("with the default transports the client falls back from websocket to long-polling", async () => {
    const client = newClient({ websocket: true });
    client.cometd.handshake();
    await client.until((s) => s.subscribeReplies.length === 1, "subscribe reply");
    assert.equal(client.handshakes.at(-1).successful, true);
    assert.equal(client.cometd.getTransport().type, "long-polling");
    assert.equal(client.subscribeReplies[0].successful, true);
    await new Promise((r) => setTimeout(r, 200));
    await triggerChange();
    await client.until((s) => s.events.length === 1, "one event");
    await client.disconnect();
});

test("an expired client re-handshakes on 403::Unknown client and resumes from its last replay id", { skip: !process.env.SIM_EXPIRE }, async () => {
    const client = newClient();
    client.cometd.handshake();
    await client.until((s) => s.subscribeReplies.length === 1, "subscribe reply");
    await new Promise((r) => setTimeout(r, 200));
    await triggerChange();
    await client.until((s) => s.events.length === 1, "first event");
    await expireClients();
    await triggerChange();
    await triggerChange();
    await client.until((s) => s.handshakes.length >= 2 && s.events.length >= 3, "re-handshake and the 2 later events");
    assert.equal(client.handshakes[1].successful, true);
    assert.equal(client.handshakes[1].reestablish, true);
    assert.equal(client.events.length, 3, "no event lost or delivered twice");
    assertIncreasing(replayIds(client.events));
    await client.disconnect();
});
