// The dashboard: sign-in with an API token, shops, a shop's sync controls, job history with a
// live progress bar, and dead letters. Plain DOM; text is always set as text, never as HTML.

import { Client, GraphQLError } from "./gql.js";
import * as Q from "./queries.js";

const TOKEN_KEY = "shopsync.token";
const PAGE_SIZE = 20;
const MODES = ["POPULATE", "UPDATE", "FULL", "RECONCILE"];
const ACTIVE = new Set(["QUEUED", "RUNNING"]);

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let client = null;
let teardown = []; // unsubscribe functions of the current screen

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function statusBadge(status) {
  return h("span", { class: `status status-${status}`, "data-testid": "job-status" }, status);
}

function message(kind, text, testid) {
  return h("p", { class: kind, role: kind === "error" ? "alert" : "status", "data-testid": testid }, text);
}

function errorText(err) {
  if (err instanceof GraphQLError) {
    if (err.code === "UNAUTHENTICATED") return "Your token was not accepted; sign in again.";
    return err.message;
  }
  return String(err?.message ?? err);
}

// The error or notice area of a form: replaced on each outcome.
function outcomeArea(testid) {
  const el = h("div", { "data-testid": testid });
  return {
    el,
    error(text) {
      el.replaceChildren(message("error", text, `${testid}-error`));
    },
    notice(text) {
      el.replaceChildren(message("notice", text, `${testid}-notice`));
    },
    clear() {
      el.replaceChildren();
    },
  };
}

function validationText(result) {
  return result.field ? `${result.field}: ${result.message}` : result.message;
}

// ---------------------------------------------------------------- formatting

const number = new Intl.NumberFormat();

function fmtBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = Number(n);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function fmtDuration(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function fmtTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}

function jobDuration(job) {
  if (!job.startedAt) return null;
  const end = job.finishedAt ? new Date(job.finishedAt) : new Date();
  return (end - new Date(job.startedAt)) / 1000;
}

function modeText(job) {
  if (job.syncMode === "POPULATE" && job.days !== null) return `POPULATE (${job.days} d)`;
  if (job.syncMode === "UPDATE" && job.staleAfterMins !== null)
    return `UPDATE (${job.staleAfterMins} min)`;
  return job.syncMode;
}

function scheduleText(schedule) {
  if (!schedule) return "no schedule";
  const parts = [];
  if (schedule.updateEveryMins) parts.push(`UPDATE every ${schedule.updateEveryMins} min`);
  if (schedule.reconcileDaily) parts.push(`RECONCILE daily ${schedule.reconcileAtUtc} UTC`);
  if (schedule.paused) parts.push(`paused${schedule.pausedReason ? ` (${schedule.pausedReason})` : ""}`);
  else if (schedule.nextRunAt) parts.push(`next ${fmtTime(schedule.nextRunAt)}`);
  return parts.join("; ");
}

// ---------------------------------------------------------------- screens

function signIn(reason) {
  nav.replaceChildren();
  const out = outcomeArea("signin");
  const token = h("input", {
    type: "password",
    name: "token",
    autocomplete: "off",
    required: true,
    size: 48,
    "data-testid": "token-input",
  });
  const form = h(
    "form",
    {
      "data-testid": "signin-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const candidate = new Client(token.value.trim());
        try {
          await candidate.request(Q.WHOAMI);
        } catch (err) {
          out.error(errorText(err));
          return;
        }
        sessionStorage.setItem(TOKEN_KEY, candidate.token);
        client = candidate;
        route();
      },
    },
    h("label", {}, "API token (shopsync token create)", token),
    h("button", { type: "submit" }, "Sign in"),
  );
  main.replaceChildren(
    h(
      "section",
      {},
      h("h1", {}, "Sign in"),
      h("p", { class: "muted" }, "The token stays in this browser tab (session storage) only."),
      form,
      out.el,
    ),
  );
  if (reason) out.error(reason);
  token.focus();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  client?.close();
  client = null;
  route();
}

function renderNav() {
  nav.replaceChildren(
    h("a", { href: "#/" }, "Shops"),
    h("a", { href: "/graphql" }, "GraphiQL"),
    h("button", { class: "secondary", onclick: signOut, "data-testid": "signout" }, "Sign out"),
  );
}

async function shopsScreen() {
  const out = outcomeArea("connect");
  const field = (label, name, attrs = {}) =>
    h("label", {}, label, h("input", { name, "data-testid": `connect-${name}`, ...attrs }));
  const form = h(
    "form",
    { "data-testid": "connect-form" },
    field("Shop domain", "domain", { placeholder: "name.myshopify.com", required: true, size: 28 }),
    field("Admin API access token", "accessToken", {
      type: "password",
      autocomplete: "off",
      required: true,
      size: 28,
    }),
    field("Admin URL (optional)", "adminUrl", { placeholder: "empty for a real store" }),
    field("API version (optional)", "apiVersion", { placeholder: "2026-01", size: 10 }),
    h(
      "label",
      { class: "check" },
      h("input", { type: "checkbox", name: "initialSync", checked: true, "data-testid": "connect-initialSync" }),
      "Initial POPULATE",
    ),
    h("button", { type: "submit", "data-testid": "connect-submit" }, "Connect"),
  );
  const list = h("div", { "data-testid": "shop-list" }, h("p", { class: "muted" }, "Loading…"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const input = {
      domain: data.get("domain").trim(),
      accessToken: data.get("accessToken").trim(),
      initialSync: data.get("initialSync") === "on",
    };
    for (const key of ["adminUrl", "apiVersion"]) {
      const value = data.get(key).trim();
      if (value) input[key] = value;
    }
    out.clear();
    try {
      const result = (await client.request(Q.CONNECT_SHOP, { input })).connectShop;
      if (result.__typename === "ShopConnected") {
        form.reset();
        const job = result.initialJob ? `; initial job ${result.initialJob.id} ${result.initialJob.status}` : "";
        out.notice(`Connected ${result.shop.domain}${job}.`);
        await loadShops(list);
      } else if (result.__typename === "ValidationError") out.error(validationText(result));
      else out.error(`${result.message} (${result.code})`);
    } catch (err) {
      handle(err, out);
    }
  });
  main.replaceChildren(
    h("h1", {}, "Shops"),
    h("section", {}, h("h2", {}, "Connect a shop"), form, out.el),
    h("section", {}, h("h2", {}, "Connected shops"), list),
  );
  await loadShops(list);
}

async function loadShops(list) {
  try {
    const data = await client.request(Q.SHOPS, { first: 100 });
    const latest = new Map();
    for (const job of data.syncJobs) if (!latest.has(job.shopId)) latest.set(job.shopId, job);
    if (!data.shops.length) {
      list.replaceChildren(h("p", { class: "muted" }, "No shop connected yet."));
      return;
    }
    list.replaceChildren(
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ["Shop", "API version", "Last job", "Schedule"].map((t) => h("th", {}, t)))),
        h(
          "tbody",
          {},
          data.shops.map((shop) => {
            const job = latest.get(shop.id);
            return h(
              "tr",
              { "data-testid": "shop-row", "data-domain": shop.domain },
              h("td", {}, h("a", { href: `#/shops/${encodeURIComponent(shop.id)}` }, shop.domain)),
              h("td", {}, shop.apiVersion),
              h("td", {}, job ? [statusBadge(job.status), " ", modeText(job), " ", fmtTime(job.createdAt)] : "none"),
              h("td", { "data-testid": "shop-schedule" }, scheduleText(shop.schedule)),
            );
          }),
        ),
      ),
    );
  } catch (err) {
    list.replaceChildren();
    const out = outcomeArea("shops");
    list.append(out.el);
    handle(err, out);
  }
}

// ---------------------------------------------------------------- a shop

class ShopScreen {
  constructor(shopId) {
    this.shopId = shopId;
    this.jobs = new Map(); // id -> job, in the table
    this.rows = new Map(); // id -> <tr>
    this.cursor = null;
    this.active = null; // {job, unsubscribe, samples}
    this.selected = null;
    this.out = outcomeArea("sync");
  }

  async render() {
    let shop;
    try {
      shop = (await client.request(Q.SHOP, { id: this.shopId })).shop;
    } catch (err) {
      return handle(err, null);
    }
    if (!shop) {
      main.replaceChildren(message("error", "No such shop.", "shop-missing"));
      return;
    }
    this.progress = h("section", { class: "hidden", "data-testid": "progress" });
    this.tbody = h("tbody", { "data-testid": "job-rows" });
    this.more = h(
      "button",
      { class: "secondary hidden", "data-testid": "more-jobs", onclick: () => this.loadJobs() },
      "Older jobs",
    );
    this.deadLetters = h("section", { class: "hidden", "data-testid": "dead-letters" });
    main.replaceChildren(
      h("h1", { "data-testid": "shop-title" }, shop.domain),
      h("p", { class: "muted" }, `API ${shop.apiVersion} · ${scheduleText(shop.schedule)}`),
      this.syncForm(),
      this.progress,
      h(
        "section",
        {},
        h("h2", {}, "Jobs"),
        h(
          "table",
          { "data-testid": "job-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", {}, "Job"),
              h("th", {}, "Mode"),
              h("th", {}, "Trigger"),
              h("th", {}, "Status"),
              ["Created", "Updated", "Skipped", "Unchanged", "Deleted", "Failed lines"].map((t) =>
                h("th", { class: "num" }, t),
              ),
              h("th", { class: "num" }, "Duration"),
              h("th", {}, "Started"),
              h("th", {}, "Error"),
            ),
          ),
          this.tbody,
        ),
        this.more,
      ),
      this.deadLetters,
    );
    await this.loadJobs();
    // New jobs of the shop (scheduled ones too) and every change of the listed ones.
    teardown.push(
      client.subscribe(Q.JOB_EVENTS, { shopId: this.shopId }, {
        next: (data) => this.upsert(data.syncJobEvents),
        error: () => {},
        complete: () => {},
      }),
    );
  }

  syncForm() {
    const mode = h("select", { name: "mode", "data-testid": "mode-select" }, MODES.map((m) => h("option", { value: m }, m)));
    const days = h("label", { "data-testid": "days-field" }, "Days back (empty: all)", h("input", {
      name: "days", type: "number", min: 1, "data-testid": "days-input", size: 6,
    }));
    const stale = h("label", { "data-testid": "stale-field" }, "Changed in the last … minutes", h("input", {
      name: "staleAfterMins", type: "number", min: 1, value: 60, "data-testid": "stale-input", size: 6,
    }));
    const follow = () => {
      days.classList.toggle("hidden", mode.value !== "POPULATE");
      stale.classList.toggle("hidden", mode.value !== "UPDATE");
    };
    mode.addEventListener("change", follow);
    mode.value = "POPULATE";
    follow();
    const form = h(
      "form",
      // The API validates (one set of rules and messages); its ValidationError shows below.
      { "data-testid": "sync-form", novalidate: true },
      h("label", {}, "Mode", mode),
      days,
      stale,
      h("button", { type: "submit", "data-testid": "sync-now" }, "Sync now"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = { shopId: this.shopId, syncMode: mode.value };
      const daysValue = days.querySelector("input").value;
      const staleValue = stale.querySelector("input").value;
      // Numbers the browser cannot parse go as they are: the API's ValidationError says why.
      if (mode.value === "POPULATE" && daysValue !== "") input.days = Number(daysValue);
      if (mode.value === "UPDATE" && staleValue !== "") input.staleAfterMins = Number(staleValue);
      this.out.clear();
      try {
        const result = (await client.request(Q.START_JOB, { input })).startSyncJob;
        if (result.__typename === "ValidationError") return this.out.error(validationText(result));
        if (result.__typename === "SyncJobAlreadyRunning")
          this.out.error(`Job ${result.job.id} is still ${result.job.status}; cancel it or wait.`);
        else this.out.notice(`Job ${result.job.id} started.`);
        this.upsert(result.job);
      } catch (err) {
        handle(err, this.out);
      }
    });
    return h("section", {}, h("h2", {}, "Sync"), form, this.out.el);
  }

  async loadJobs() {
    try {
      const jobs = (await client.request(Q.JOBS, { shopId: this.shopId, first: PAGE_SIZE, after: this.cursor }))
        .syncJobs;
      for (const job of jobs) this.upsert(job, { append: true });
      if (jobs.length) this.cursor = jobs[jobs.length - 1].cursor;
      this.more.classList.toggle("hidden", jobs.length < PAGE_SIZE);
    } catch (err) {
      handle(err, this.out);
    }
  }

  // Put a job's latest state in the table (a new one on top) and follow it when active.
  upsert(job, { append = false } = {}) {
    const known = this.jobs.get(job.id);
    // Never go back in time: a late event of an older state does not replace a newer one.
    if (known && ACTIVE.has(job.status) && !ACTIVE.has(known.status)) return;
    // A change of a job older than the loaded pages has no place in the table yet.
    if (!known && !append && this.cursor !== null && this.tbody.firstChild) {
      const newest = this.jobs.get(this.tbody.firstChild.dataset.jobId);
      if (newest && job.createdAt < newest.createdAt) return;
    }
    this.jobs.set(job.id, job);
    const row = this.row(job);
    const old = this.rows.get(job.id);
    if (old) old.replaceWith(row);
    else if (append) this.tbody.append(row);
    else this.tbody.prepend(row);
    this.rows.set(job.id, row);
    if (this.active?.job.id === job.id) {
      this.active.job = job;
      this.drawProgress();
    } else if (ACTIVE.has(job.status) && (!this.active || !ACTIVE.has(this.active.job.status))) {
      this.follow(job);
    }
    if (this.selected === job.id && !ACTIVE.has(job.status) && known && ACTIVE.has(known.status))
      this.showDeadLetters(job.id);
  }

  row(job) {
    const s = job.stats;
    const cell = (value) => h("td", { class: "num" }, number.format(value));
    return h(
      "tr",
      {
        "data-job-id": job.id,
        "data-status": job.status,
        "data-testid": "job-row",
        class: this.selected === job.id ? "selected" : null,
        onclick: () => this.showDeadLetters(job.id),
      },
      h("td", {}, job.id),
      h("td", { "data-testid": "job-mode" }, modeText(job)),
      h("td", {}, job.trigger),
      h("td", {}, statusBadge(job.status)),
      cell(s.ordersCreated),
      cell(s.ordersUpdated),
      cell(s.ordersSkipped),
      cell(s.ordersUnchanged),
      cell(s.ordersDeleted),
      h("td", { class: "num", "data-testid": "job-failed-lines" }, number.format(s.failedLines)),
      h("td", { class: "num" }, fmtDuration(jobDuration(job))),
      h("td", {}, fmtTime(job.startedAt ?? job.createdAt)),
      h("td", { "data-testid": "job-error" }, job.error ?? ""),
    );
  }

  // The live progress of one active job, from syncJobUpdated (its state now, then each change).
  follow(job) {
    this.active?.unsubscribe();
    const samples = [];
    const unsubscribe = client.subscribe(Q.JOB_UPDATED, { id: job.id }, {
      next: (data) => {
        const latest = data.syncJobUpdated;
        // The rate counts from the first bytes read, not from Shopify's export before them.
        const bytes = Number(latest.stats.bytesRead);
        if (bytes > 0) samples.push({ t: performance.now(), bytes });
        if (samples.length > 20) samples.shift();
        this.upsert(latest);
      },
      error: (err) => this.out.error(errorText(err)),
      complete: () => {},
    });
    this.active = { job, unsubscribe, samples };
    teardown.push(unsubscribe);
    this.drawProgress();
  }

  drawProgress() {
    const { job, samples } = this.active;
    const s = job.stats;
    const size = job.resultFileSize === null ? null : Number(job.resultFileSize);
    const bytes = Number(s.bytesRead);
    const objects = job.objectCount === null ? null : Number(job.objectCount);
    // Rate over the recent samples (bytes per second); ETA from it and what is left.
    let rate = null;
    if (samples.length >= 2) {
      const first = samples[0];
      const last = samples[samples.length - 1];
      const seconds = (last.t - first.t) / 1000;
      if (seconds > 0) rate = (last.bytes - first.bytes) / seconds;
    }
    const eta = rate > 0 && size !== null ? (size - bytes) / rate : null;
    const bar = h("progress", { "data-testid": "progress-bar", max: size ?? 1 });
    if (size !== null) bar.value = Math.min(bytes, size);
    // Without a file size yet (Shopify still exporting) the bar is indeterminate (no value).
    const phase =
      job.status === "QUEUED"
        ? "queued"
        : size === null
          ? `Shopify exporting (${job.bulkOperationStatus ?? "submitting"})`
          : "ingesting";
    const active = ACTIVE.has(job.status);
    this.progress.classList.remove("hidden");
    this.progress.replaceChildren(
      h(
        "div",
        { class: "row" },
        h("h2", {}, `Job ${job.id} `, statusBadge(job.status), " ", h("span", { class: "muted" }, active ? phase : "")),
        h("button", {
          class: "danger",
          "data-testid": "cancel-job",
          disabled: !active,
          onclick: () => this.cancel(job.id),
        }, "Cancel"),
      ),
      bar,
      h(
        "div",
        { class: "progress-facts", "data-testid": "progress-facts" },
        h("span", {}, "Bytes ", h("b", { "data-testid": "progress-bytes" }, `${fmtBytes(bytes)} / ${fmtBytes(size)}`)),
        h("span", {}, "Objects ", h("b", { "data-testid": "progress-objects" },
          `${number.format(s.linesRead)} / ${objects === null ? "–" : number.format(objects)}`)),
        h("span", {}, "Rate ", h("b", {}, rate === null ? "–" : `${fmtBytes(rate)}/s`)),
        h("span", {}, "ETA ", h("b", {}, active ? fmtDuration(eta) : "–")),
      ),
    );
  }

  async cancel(jobId) {
    this.out.clear();
    try {
      const result = (await client.request(Q.CANCEL_JOB, { id: jobId })).cancelSyncJob;
      if (result.__typename === "ValidationError") return this.out.error(validationText(result));
      if (result.__typename === "SyncJobAlreadyFinished")
        this.out.error(`Job ${jobId} had already finished (${result.job.status}).`);
      else this.out.notice(`Job ${jobId} cancelled.`);
      this.upsert(result.job);
    } catch (err) {
      handle(err, this.out);
    }
  }

  async showDeadLetters(jobId) {
    this.selected = jobId;
    for (const [id, row] of this.rows) row.classList.toggle("selected", id === jobId);
    const out = outcomeArea("retry");
    const job = this.jobs.get(jobId);
    let letters;
    try {
      letters = (await client.request(Q.DEAD_LETTERS, { jobId, first: 100 })).deadLetters;
    } catch (err) {
      return handle(err, this.out);
    }
    const retry = h("button", {
      "data-testid": "retry-dead-letters",
      disabled: !letters.some((l) => !l.resolvedAt) || ACTIVE.has(job?.status),
      onclick: async () => {
        out.clear();
        try {
          const result = (await client.request(Q.RETRY, { jobId })).retryDeadLetters;
          if (result.__typename === "ValidationError") return out.error(validationText(result));
          this.upsert(result.job);
          await this.showDeadLetters(jobId);
          this.deadLetters.append(
            message(
              "notice",
              `Retried ${result.retried}: ${result.resolved} resolved, ${result.stillFailing} still failing.`,
              "retry-notice",
            ),
          );
        } catch (err) {
          handle(err, out);
        }
      },
    }, "Retry");
    this.deadLetters.classList.remove("hidden");
    this.deadLetters.replaceChildren(
      h("div", { class: "row" }, h("h2", {}, `Dead letters of job ${jobId}`), retry),
      letters.length
        ? h(
            "table",
            {},
            h("thead", {}, h("tr", {}, ["Line", "Offset", "State", "Reason", "Line text"].map((t) => h("th", {}, t)))),
            h(
              "tbody",
              {},
              letters.map((l) =>
                h(
                  "tr",
                  { "data-testid": "dead-letter-row", "data-state": l.resolvedAt ? l.resolution : "open" },
                  h("td", { class: "num" }, l.lineNumber ?? "–"),
                  h("td", { class: "num" }, l.byteOffset ?? "–"),
                  h("td", {}, l.resolvedAt ? l.resolution : "open"),
                  h("td", {}, l.reason),
                  h("td", { class: "line mono" }, l.lineTruncated ? `${l.line}…` : l.line),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No dead letters."),
      out.el,
    );
  }
}

// ---------------------------------------------------------------- routing

function handle(err, out) {
  if (err instanceof GraphQLError && err.code === "UNAUTHENTICATED") {
    sessionStorage.removeItem(TOKEN_KEY);
    client = null;
    signIn(errorText(err));
    return;
  }
  if (out) out.error(errorText(err));
  else main.replaceChildren(message("error", errorText(err), "page-error"));
}

function route() {
  for (const stop of teardown) stop();
  teardown = [];
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return signIn();
  if (!client) client = new Client(token);
  renderNav();
  const match = window.location.hash.match(/^#\/shops\/([^/]+)$/);
  if (match) return new ShopScreen(decodeURIComponent(match[1])).render();
  return shopsScreen();
}

window.addEventListener("hashchange", route);
route();
