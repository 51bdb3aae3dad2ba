// aiweb3 dashboard: token storage, job progress over server-sent events, signing and verifying.
"use strict";

const TOKEN_KEY = "aiweb3.token";

function token() { return localStorage.getItem(TOKEN_KEY) || ""; }

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Text whose `commands` are shown as code (messages from the server write commands in backticks).
function withCode(node, text) {
  String(text).split("`").forEach((part, i) => node.append(i % 2 ? el("code", {}, part) : part));
  return node;
}

async function api(method, path, body, json) {
  const headers = {};
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (token()) headers["Authorization"] = "Bearer " + token();
  const resp = await fetch(path, { method, headers, body });
  let data = null;
  try { data = await resp.json(); } catch (e) { data = { code: "bad_response", message: resp.statusText }; }
  if (!resp.ok) throw Object.assign(new Error(data.message || resp.statusText), { status: resp.status, data });
  return data;
}

function renderProgress(box, snap) {
  box.innerHTML = "";
  const title = el("div", { class: "job-title" });
  title.append(el("a", { href: "/jobs/" + snap.id }, snap.title), " ");
  title.append(el("span", { class: "badge state-" + snap.state, "data-state": snap.state }, snap.state));
  const bar = el("div", { class: "bar" });
  const fill = el("div", { class: "fill state-" + snap.state });
  fill.style.width = (snap.percent || 0) + "%";
  bar.append(fill);
  const prog = el("div", { class: "progress" });
  prog.append(bar, el("div", { class: "progress-text" }, Math.round(snap.percent || 0) + "% · " + snap.message));
  box.append(title, prog);
  if (snap.state === "failed" && snap.error) box.append(withCode(el("p", { class: "error-text" }), snap.error.message));
  if (snap.state === "succeeded" && snap.result) renderResult(box, snap.result);
}

// A job's result as sentences and links (the raw JSON is on the job's page).
function renderResult(box, r) {
  if (r.prediction) {
    const p = el("div", { class: "result-prediction" }, "Prediction: ");
    p.append(el("strong", { class: "label-out" }, r.prediction.label));
    p.append(" (" + (r.prediction.score * 100).toFixed(1) + "% by softmax)");
    box.append(p);
  }
  if (r.outputs) {
    const flat = [].concat(...[].concat(r.outputs).map((x) => [].concat(x)));
    const text = flat.map((v) => (typeof v === "number" ? v.toFixed(3) : String(v))).join(", ");
    box.append(el("div", { class: "result-outputs" }, (r.prediction ? "Logits: " : "Outputs: ") + text));
  }
  if (r.onchain && r.onchain.tx_hash) {
    const p = el("div", { class: "result-tx" }, "Verified on chain in ");
    p.append(el("a", { href: "/tx/" + r.onchain.tx_hash, class: "mono", title: r.onchain.tx_hash },
      r.onchain.tx_hash.slice(0, 10) + "…" + r.onchain.tx_hash.slice(-8)));
    if (r.onchain.gas_used) p.append(" (" + r.onchain.gas_used.toLocaleString("en-US") + " gas)");
    box.append(p);
  }
  if (r.model_id && !r.outputs) box.append(el("div", { class: "result-model mono" }, "Model " + r.model_id));
  for (const link of r.links || []) {
    const p = el("div", { class: "result-link" }, link.startsWith("/api/") ? "Download: " : "Open: ");
    p.append(el("a", { href: link }, link));
    box.append(p);
  }
}

// Follow a job from a form: render each update and refresh the page's lists when it succeeds.
function followAndRefresh(box, job) {
  renderProgress(box, job);
  followJob(job.id, (snap) => {
    renderProgress(box, snap);
    if (snap.state === "succeeded") refreshSections().catch(() => {});
  });
}

// Follow a job with server-sent events; calls onUpdate(snapshot) on each change.
function followJob(id, onUpdate) {
  const source = new EventSource("/api/jobs/" + id + "/events");
  const handle = (ev) => {
    const snap = JSON.parse(ev.data);
    onUpdate(snap);
    if (ev.type === "done") source.close();
  };
  source.addEventListener("progress", handle);
  source.addEventListener("done", handle);
  source.onerror = () => { source.close(); api("GET", "/api/jobs/" + id).then(onUpdate).catch(() => {}); };
  return source;
}

function showError(box, err) {
  box.hidden = false;
  box.innerHTML = "";
  box.append(withCode(el("p", { class: "error-text", role: "alert" }), (err.status ? err.status + ": " : "") + err.message));
}

function initToken() {
  const input = document.getElementById("api-token");
  if (!input) return;
  input.value = token();
  input.addEventListener("change", () => localStorage.setItem(TOKEN_KEY, input.value.trim()));
  input.addEventListener("input", () => localStorage.setItem(TOKEN_KEY, input.value.trim()));
}

function initSign() {
  const form = document.getElementById("sign-form");
  if (!form) return;
  const box = document.getElementById("sign-status");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData();
    const files = Array.from(document.getElementById("sign-file").files);
    if (!files.length) return;
    for (const f of files) data.append("file", f);
    data.append("claim", document.getElementById("sign-claim").value);
    data.append("anchor", document.getElementById("sign-anchor").checked ? "true" : "false");
    box.hidden = false;
    box.textContent = "uploading " + files.map((f) => f.name).join(", ") + "…";
    try {
      const reply = await api("POST", "/api/content", data);
      followAndRefresh(box, reply.job);
    } catch (err) { showError(box, err); }
  });
  const anchorBtn = document.getElementById("anchor-all");
  const anchorBox = document.getElementById("anchor-status");
  if (anchorBtn) anchorBtn.addEventListener("click", async () => {
    try {
      const reply = await api("POST", "/api/content/anchor");
      anchorBox.hidden = false;
      followAndRefresh(anchorBox, reply.job);
    } catch (err) { showError(anchorBox, err); }
  });
}

// Text with ids in it: addresses link to their page, "model 0x…" to the model, "tx 0x…" to the transaction.
function linkify(node, text) {
  const re = /\b(model |tx |transaction )?(0x[0-9a-fA-F]{64}|0x[0-9a-fA-F]{40})(?![0-9a-fA-F])/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const [whole, word, id] = m;
    let href = null;
    if (id.length === 42) href = "/address/" + id.toLowerCase();
    else if (word === "model ") href = "/models/" + id.toLowerCase();
    else if (word) href = "/tx/" + id.toLowerCase();
    if (!href) continue;
    node.append(text.slice(last, m.index) + (word || ""));
    node.append(el("a", { href, class: "mono", title: id }, id));
    last = m.index + whole.length;
  }
  node.append(text.slice(last));
  return node;
}

function showVerdict(result) {
  const card = document.getElementById("verdict");
  const head = document.getElementById("verdict-head");
  card.hidden = false;
  head.className = "verdict " + (result.ok ? "ok" : "bad");
  head.textContent = (result.ok ? "✓ " : "✗ ") + result.verdict;
  head.setAttribute("data-ok", result.ok ? "true" : "false");
  const body = document.querySelector("#checks tbody");
  body.innerHTML = "";
  for (const c of result.checks || []) {
    const row = el("tr");
    const mark = c.ok === true ? ["ok", "check-ok"] : c.ok === false ? ["failed", "check-fail"] : ["not checked", "check-skip"];
    row.append(el("td", {}, c.name), el("td", { class: mark[1] }, mark[0]), linkify(el("td"), c.detail || ""));
    body.append(row);
  }
}

function initVerify() {
  const form = document.getElementById("verify-form");
  if (!form) return;
  const fileInput = document.getElementById("verify-file");
  const sideInput = document.getElementById("verify-sidecar");
  const zone = document.getElementById("dropzone");
  zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    const files = Array.from(ev.dataTransfer.files);
    const side = files.find((f) => f.name.endsWith(".aiw.json"));
    const main = files.find((f) => f !== side);
    const put = (input, f) => { const dt = new DataTransfer(); dt.items.add(f); input.files = dt.files; };
    if (main) put(fileInput, main);
    if (side) put(sideInput, side);
    if (main) form.requestSubmit();
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData();
    const proofInput = document.getElementById("verify-proof");
    const proof = proofInput && proofInput.files[0];
    if (!fileInput.files[0] && !proof) return;
    if (fileInput.files[0]) data.append("file", fileInput.files[0]);
    if (sideInput.files[0]) data.append("sidecar", sideInput.files[0]);
    if (proof) data.append("proof", proof);
    const head = document.getElementById("verdict-head");
    document.getElementById("verdict").hidden = false;
    head.className = "verdict";
    head.textContent = "verifying…";
    try { showVerdict(await api("POST", "/api/verify", data)); }
    catch (err) { head.className = "verdict bad"; head.textContent = "✗ " + err.message; }
  });
}

function initJobPage() {
  const live = document.getElementById("job-live");
  if (live && !["succeeded", "failed"].includes(live.dataset.jobState)) {
    const prog = live.querySelector(".progress");
    followJob(live.dataset.jobId, (snap) => {
      if (snap.state === "succeeded" || snap.state === "failed") { window.location.reload(); return; }
      prog.querySelector(".fill").style.width = (snap.percent || 0) + "%";
      prog.querySelector(".pct").textContent = Math.round(snap.percent || 0) + "%";
      prog.querySelector(".msg").textContent = snap.message;
    });
  }
  for (const prog of document.querySelectorAll("#jobs-table .progress")) {
    const fill = prog.querySelector(".fill");
    if (fill.classList.contains("state-running") || fill.classList.contains("state-queued")) {
      followJob(prog.dataset.job, (snap) => {
        fill.style.width = (snap.percent || 0) + "%";
        fill.className = "fill state-" + snap.state;
        prog.querySelector(".pct").textContent = Math.round(snap.percent || 0) + "%";
        prog.querySelector(".msg").textContent = snap.message;
      });
    }
  }
}

// Models: compile an upload, register, prove (jobs followed live).
function initModels() {
  const compile = document.getElementById("compile-form");
  if (compile) {
    const box = document.getElementById("compile-status");
    compile.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const data = new FormData();
      data.append("onnx", document.getElementById("compile-onnx").files[0]);
      data.append("samples", document.getElementById("compile-samples").files[0]);
      data.append("name", document.getElementById("compile-name").value);
      box.hidden = false;
      box.textContent = "uploading…";
      try {
        const reply = await api("POST", "/api/models", data);
        followAndRefresh(box, reply.job);
      } catch (err) { showError(box, err); }
    });
  }
  const reg = document.getElementById("register-model");
  if (reg) reg.addEventListener("click", async () => {
    const box = document.getElementById("register-status");
    box.hidden = false;
    box.textContent = "registering…";
    try {
      await api("POST", "/api/models/" + reg.dataset.model + "/register", undefined, {});
      window.location.reload();
    } catch (err) { showError(box, err); }
  });
  const prove = document.getElementById("prove-form");
  if (prove) {
    const box = document.getElementById("prove-status");
    prove.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      box.hidden = false;
      let inputs;
      try { inputs = JSON.parse(document.getElementById("prove-inputs").value); }
      catch (e) { showError(box, new Error("the input is not JSON: " + e.message)); return; }
      const onchain = document.getElementById("prove-onchain").checked;
      try {
        const reply = await api("POST", "/api/models/" + prove.dataset.model + "/prove", undefined, { inputs, onchain });
        followAndRefresh(box, reply.job);
      } catch (err) { showError(box, err); }
    });
  }
}

// One answer cell: addresses, transaction hashes, blocks and model ids link to their pages.
function cell(column, v) {
  const td = el("td");
  if (v === null || v === undefined) { td.textContent = "—"; return td; }
  const text = String(v);
  const col = String(column || "").toLowerCase();
  let href = null;
  if (/^0x[0-9a-fA-F]{40}$/.test(text)) href = "/address/" + text.toLowerCase();
  else if (/^0x[0-9a-fA-F]{64}$/.test(text) && /model/.test(col)) href = "/models/" + text.toLowerCase();
  else if (/^0x[0-9a-fA-F]{64}$/.test(text) && /(tx|hash)/.test(col) && !/block/.test(col)) href = "/tx/" + text.toLowerCase();
  else if (/^\d+$/.test(text) && /^(block|block_number|first_block|last_block)$/.test(col)) href = "/block/" + text;
  if (href) td.append(el("a", { href, class: "mono", title: text }, text.length > 20 ? text.slice(0, 10) + "…" + text.slice(-8) : text));
  else td.textContent = text;
  return td;
}

// Analytics: the ask box.
function initAsk() {
  const form = document.getElementById("ask-form");
  if (!form) return;
  const out = document.getElementById("ask-answer");
  for (const btn of document.querySelectorAll("button.suggest[data-question]")) {
    btn.addEventListener("click", () => {
      document.getElementById("ask-question").value = btn.dataset.question;
      form.requestSubmit();
    });
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.hidden = false;
    out.innerHTML = "";
    out.append(el("p", { class: "muted" }, "asking…"));
    try {
      const a = await api("POST", "/api/ask", undefined, { question: document.getElementById("ask-question").value });
      out.innerHTML = "";
      out.setAttribute("data-answered", a.answered ? "true" : "false");
      if (a.answered) {
        const table = el("table", { id: "ask-rows" });
        const head = el("tr");
        for (const c of a.columns) head.append(el("th", {}, c));
        const thead = el("thead"); thead.append(head); table.append(thead);
        const tbody = el("tbody");
        for (const r of a.rows.slice(0, 50)) {
          const tr = el("tr");
          r.forEach((v, i) => tr.append(cell(a.columns[i], v)));
          tbody.append(tr);
        }
        table.append(tbody);
        out.append(table);
        out.append(el("p", { class: "muted", id: "ask-interpretation" },
          a.interpretation + (a.unit ? " — unit: " + a.unit : "") + " (" + a.engine + ")"));
      } else {
        out.append(withCode(el("p", { id: "ask-declined" }), a.message || "not answered"));
      }
      if (a.sql) {
        const folded = el("details", {});
        folded.append(el("summary", {}, "SQL"));
        folded.append(el("pre", { id: "ask-sql" }, a.sql));
        out.append(folded);
      }
    } catch (err) { showError(out, err); }
  });
}

// Charts: every <canvas data-chart> is drawn by Chart.js (static/vendor, served by this server).
function fmtNum(v, compact) {
  if (typeof v !== "number") return String(v);
  const opts = compact && Math.abs(v) >= 1e4 ? { notation: "compact", maximumFractionDigits: 1 } : { maximumFractionDigits: 2 };
  return v.toLocaleString("en-US", opts);
}

function drawChart(canvas) {
  if (typeof Chart === "undefined" || canvas.dataset.drawn) return null;
  const spec = JSON.parse(canvas.dataset.chart);
  const css = getComputedStyle(document.documentElement);
  const color = css.getPropertyValue("--accent").trim() || "#4f46e5";
  canvas.dataset.drawn = "true";
  return new Chart(canvas, {
    type: spec.kind === "line" ? "line" : "bar",
    data: {
      labels: spec.labels,
      datasets: [{ label: spec.y || spec.unit, data: spec.values, backgroundColor: color, borderColor: color,
                   maxBarThickness: 36, borderRadius: 3 }],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => (spec.x ? spec.x + " " : "") + items[0].label,
            label: (item) => fmtNum(item.parsed.y) + " " + spec.unit,
          },
        },
      },
      scales: {
        x: { title: { display: !!spec.x, text: spec.x },
             ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8,
                      callback: function (v) { const t = String(this.getLabelForValue(v)); return t.length > 14 ? t.slice(0, 13) + "…" : t; } },
             grid: { display: false } },
        y: { beginAtZero: true, title: { display: !!spec.unit, text: spec.unit },
             ticks: { precision: 0, callback: (v) => fmtNum(v, true) } },
      },
    },
  });
}

function initCharts(root) {
  for (const canvas of (root || document).querySelectorAll("canvas[data-chart]")) drawChart(canvas);
}

// After an action, re-read this page and swap in every [data-refresh] section (lists, counts).
async function refreshSections() {
  const resp = await fetch(window.location.href, { headers: { Accept: "text/html" } });
  if (!resp.ok) return;
  const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
  for (const old of document.querySelectorAll("[data-refresh]")) {
    const fresh = doc.getElementById(old.id);
    if (fresh) { old.replaceWith(fresh); initCharts(fresh); }
  }
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
}

// The overview's chain head follows the node.
function initHead() {
  const head = document.getElementById("stat-head");
  if (!head) return;
  setInterval(() => {
    api("GET", "/api/health").then((h) => { head.textContent = h.head.toLocaleString("en-US"); }).catch(() => {});
  }, 5000);
}

document.addEventListener("DOMContentLoaded", () => {
  initToken(); initSign(); initVerify(); initJobPage(); initHead(); initModels(); initAsk(); initCharts();
});
