// stoqey.mjs trades an order's life with a TWS API server through
// @stoqey/ib, a client rotor does not own, and prints one JSON object
// that summarises everything the server said.
//
//   node stoqey.mjs HOST:PORT CLIENT_ID
//
// Exit 0 with the JSON on stdout; exit 1 with the reason on stderr (and
// what had been received so far) on a timeout, an unexpected error from the
// server or a message the library could not decode. The library's error and
// info callbacks are logged to stderr as they arrive.
//
// INTEROP_TIMEOUT_MS overrides the 10 s bound on the whole run.
//
// It uses the package's compiled CommonJS output as any Node user would,
// with no build step. The Go test broker/ibsim/interop runs it against the
// paper broker and checks the JSON against the paper broker's own book.

import ib from "@stoqey/ib";

const { IBApi, EventName } = ib;

// TOTAL_MS bounds the whole run; every wait below shares it.
const TOTAL_MS = Number(process.env.INTEROP_TIMEOUT_MS || 10000);
// INTEROP_TRACE=1 logs every message's fields to stderr, for evidence when
// the client and the server disagree.
const trace = process.env.INTEROP_TRACE === "1";
// LIMIT_PRICE is far below the paper broker's RTY marks in the test, so the
// limit order rests until it is cancelled.
const LIMIT_PRICE = 1200.0;

const REQ_DETAILS = 1;
const REQ_SUMMARY = 2;
const REQ_HISTORY = 3;

const [addr, clientIdArg] = process.argv.slice(2);
const m = /^(.*):(\d+)$/.exec(addr || "");
const clientId = Number(clientIdArg);
if (!m || !Number.isInteger(clientId)) {
  process.stderr.write("usage: node stoqey.mjs HOST:PORT CLIENT_ID\n");
  process.exit(2);
}
const [, host, port] = m;

// Everything received, and the summary printed at the end.
const got = {
  client: { package: "@stoqey/ib", hello: "" }, // hello: the versions it offered, "v100..193"
  serverVersion: 0,
  connectionTime: "",
  nextValidId: 0,
  accounts: [],
  contractDetails: [],
  detailsEnd: false,
  orders: {}, // by orderRef: id, statuses seen, openOrder echo
  executions: [],
  commissions: [],
  positions: [],
  positionsEnd: false,
  accountSummary: {},
  accountSummaryEnd: false,
  bars: [],
  barsEnd: "",
  currentTime: 0,
  errors: [], // every error and info callback: {kind, reqId, code, message}
};
const byId = new Map(); // order id -> got.orders entry

function fail(why) {
  process.stderr.write(`stoqey.mjs: ${why}\n`);
  process.stderr.write(`stoqey.mjs: received so far: ${JSON.stringify(got)}\n`);
  process.exit(1);
}

const deadline = setTimeout(() => fail(`timed out after ${TOTAL_MS} ms waiting for ${waiting}`), TOTAL_MS);
process.on("uncaughtException", (e) => fail(`uncaught exception (a message the library could not decode?): ${e.stack || e}`));

// waitFor resolves once cond() holds; conditions are rechecked after every
// event. `waiting` names the current wait for the timeout message.
let waiting = "the connection";
let pending = null;
function waitFor(what, cond) {
  waiting = what;
  if (cond()) return Promise.resolve();
  return new Promise((resolve) => {
    pending = { cond, resolve };
  });
}
function recheck() {
  if (pending && pending.cond()) {
    const { resolve } = pending;
    pending = null;
    resolve();
  }
}

const api = new IBApi({ host, port: Number(port), clientId });
// on registers a handler that rechecks the pending wait after it runs.
function on(name, f) {
  api.on(name, (...args) => {
    f(...args);
    recheck();
  });
}

// Error 202 on the cancelled limit order is expected; 2100-2199 are
// warnings (farm status notices). Anything else from the server, or a
// decoding error raised by the library itself (505), ends the run.
let limitId = -2;
function expected(code, reqId) {
  return (code === 202 && reqId === limitId) || (code >= 2100 && code < 2200);
}

on(EventName.sent, (tokens, text) => {
  if (tokens[0] === "API\0") got.client.hello = text;
  if (trace) process.stderr.write(`stoqey.mjs: sent ${JSON.stringify(tokens)}\n`);
});
if (trace) api.on(EventName.received, (tokens) => process.stderr.write(`stoqey.mjs: received ${JSON.stringify(tokens)}\n`));
on(EventName.server, (v, t) => {
  got.serverVersion = v;
  got.connectionTime = t;
});
on(EventName.error, (err, code, reqId, advanced) => {
  const message = err && err.message ? err.message : String(err);
  process.stderr.write(`stoqey.mjs: error callback: reqId=${reqId} code=${code} ${message}${advanced ? " " + JSON.stringify(advanced) : ""}\n`);
  got.errors.push({ kind: "error", reqId, code, message });
  if (!expected(code, reqId)) fail(`unexpected error ${code} (reqId ${reqId}): ${message}`);
});
on(EventName.info, (message, code) => {
  process.stderr.write(`stoqey.mjs: info callback: code=${code} ${message}\n`);
  got.errors.push({ kind: "info", reqId: -1, code, message });
  if (!expected(code, -1)) fail(`unexpected error ${code} (no request id): ${message}`);
});
on(EventName.disconnected, () => {
  if (!done) fail("the server closed the connection");
});
on(EventName.nextValidId, (id) => {
  got.nextValidId = id;
});
on(EventName.managedAccounts, (list) => {
  got.accounts = String(list)
    .split(",")
    .filter((a) => a !== "");
});
on(EventName.contractDetails, (reqId, d) => {
  const c = d.contract || {};
  got.contractDetails.push({
    conId: c.conId,
    symbol: c.symbol,
    secType: c.secType,
    localSymbol: c.localSymbol,
    lastTradeDateOrContractMonth: c.lastTradeDateOrContractMonth,
    multiplier: c.multiplier,
    exchange: c.exchange,
    currency: c.currency,
    tradingClass: c.tradingClass,
    minTick: d.minTick,
    marketName: d.marketName,
    longName: d.longName,
    timeZoneId: d.timeZoneId,
  });
});
on(EventName.contractDetailsEnd, (reqId) => {
  if (reqId === REQ_DETAILS) got.detailsEnd = true;
});
on(EventName.openOrder, (id, contract, order, state) => {
  const o = byId.get(id);
  if (!o) return fail(`openOrder for unknown order id ${id}`);
  o.openOrder = {
    localSymbol: contract.localSymbol,
    action: order.action,
    totalQuantity: order.totalQuantity,
    orderType: order.orderType,
    lmtPrice: order.lmtPrice ?? null,
    orderRef: order.orderRef,
    status: state.status,
  };
  note(o, state.status);
});
on(EventName.orderStatus, (id, status, filled, remaining, avgFillPrice) => {
  const o = byId.get(id);
  if (!o) return fail(`orderStatus for unknown order id ${id}`);
  o.filled = filled;
  o.remaining = remaining;
  o.avgFillPrice = avgFillPrice;
  note(o, status);
});
// note records a status the first time it is seen in a row.
function note(o, status) {
  if (status && o.statuses[o.statuses.length - 1] !== status) o.statuses.push(status);
}
on(EventName.execDetails, (reqId, contract, e) => {
  got.executions.push({
    reqId,
    execId: e.execId,
    orderId: e.orderId,
    localSymbol: contract.localSymbol,
    side: e.side,
    shares: e.shares,
    price: e.price,
    cumQty: e.cumQty,
    avgPrice: e.avgPrice,
    orderRef: e.orderRef,
    time: e.time,
    acctNumber: e.acctNumber,
  });
});
on(EventName.commissionReport, (r) => {
  got.commissions.push({ execId: r.execId, commission: r.commission, currency: r.currency });
});
on(EventName.position, (account, contract, pos, avgCost) => {
  got.positions.push({ account, localSymbol: contract.localSymbol, conId: contract.conId, position: pos, avgCost });
});
on(EventName.positionEnd, () => {
  got.positionsEnd = true;
});
on(EventName.accountSummary, (reqId, account, tag, value, currency) => {
  if (reqId === REQ_SUMMARY) got.accountSummary[tag] = { value, currency, account };
});
on(EventName.accountSummaryEnd, (reqId) => {
  if (reqId === REQ_SUMMARY) got.accountSummaryEnd = true;
});
on(EventName.historicalData, (reqId, date, open, high, low, close, volume) => {
  if (reqId !== REQ_HISTORY) return;
  // The library reports the end of the bars as a bar dated "finished-...".
  if (String(date).startsWith("finished")) {
    got.barsEnd = String(date);
    return;
  }
  got.bars.push({ date, open, high, low, close, volume });
});
on(EventName.currentTime, (t) => {
  got.currentTime = t;
});

let done = false;

async function run() {
  api.connect(clientId);
  await waitFor("nextValidId and managedAccounts", () => got.nextValidId > 0 && got.accounts.length > 0);

  const rty = { symbol: "RTY", secType: "FUT", exchange: "CME", currency: "USD", lastTradeDateOrContractMonth: "202612" };
  api.reqContractDetails(REQ_DETAILS, rty);
  await waitFor("contractDetailsEnd", () => got.detailsEnd);

  const mktId = got.nextValidId;
  limitId = mktId + 1;
  const mkt = { id: mktId, statuses: [] };
  const lmt = { id: limitId, statuses: [] };
  got.orders["interop-mkt"] = mkt;
  got.orders["interop-lmt"] = lmt;
  byId.set(mktId, mkt);
  byId.set(limitId, lmt);
  api.placeOrder(mktId, rty, { action: "BUY", orderType: "MKT", totalQuantity: 1, orderRef: "interop-mkt", transmit: true });
  api.placeOrder(limitId, rty, {
    action: "BUY",
    orderType: "LMT",
    totalQuantity: 1,
    lmtPrice: LIMIT_PRICE,
    orderRef: "interop-lmt",
    transmit: true,
  });
  await waitFor("the market order's fill (Filled, execDetails, commissionReport) and the limit's Submitted", () =>
    mkt.statuses.includes("Filled") &&
    got.executions.length > 0 &&
    got.commissions.length > 0 &&
    lmt.statuses.includes("Submitted"),
  );

  api.cancelOrder(limitId);
  await waitFor("the limit's Cancelled and error 202", () =>
    lmt.statuses.includes("Cancelled") && got.errors.some((e) => e.code === 202 && e.reqId === limitId),
  );

  api.reqPositions();
  await waitFor("positionEnd", () => got.positionsEnd);
  api.cancelPositions();

  api.reqAccountSummary(REQ_SUMMARY, "All", "NetLiquidation,InitMarginReq");
  await waitFor("accountSummaryEnd", () => got.accountSummaryEnd);
  api.cancelAccountSummary(REQ_SUMMARY);

  const iwm = { symbol: "IWM", secType: "STK", exchange: "SMART", currency: "USD" };
  api.reqHistoricalData(REQ_HISTORY, iwm, "", "5 D", "1 day", "TRADES", 1, 1, false);
  await waitFor("the historical bars' end", () => got.barsEnd !== "");

  api.reqCurrentTime();
  await waitFor("currentTime", () => got.currentTime > 0);

  done = true;
  clearTimeout(deadline);
  api.disconnect();
  const last = got.bars[got.bars.length - 1];
  const out = { ...got, barCount: got.bars.length, lastBarDate: last ? String(last.date) : "" };
  process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(0));
}

run().catch((e) => fail(`run: ${e.stack || e}`));
