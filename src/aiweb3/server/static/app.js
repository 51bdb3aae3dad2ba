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
  if (snap.state === "failed" && snap.error) box.append(el("p", { class: "error-text" }, snap.error.message));
  if (snap.state === "succeeded" && snap.result && snap.result.outputs) {
    box.append(el("div", { class: "result-outputs mono" }, "Outputs: " + JSON.stringify(snap.result.outputs)));
  }
  if (snap.state === "succeeded" && snap.result && snap.result.onchain && snap.result.onchain.tx_hash) {
    box.append(el("div", { class: "result-tx mono" }, "Verified on chain in " + snap.result.onchain.tx_hash));
  }
  if (snap.state === "succeeded" && snap.result && snap.result.links) {
    for (const link of snap.result.links) {
      const p = el("div", { class: "result-link" }, "Result: ");
      p.append(el("a", { href: link }, link));
      box.append(p);
    }
  }
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
  box.append(el("p", { class: "error-text", role: "alert" }, (err.status ? err.status + ": " : "") + err.message));
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
      renderProgress(box, reply.job);
      followJob(reply.job.id, (snap) => renderProgress(box, snap));
    } catch (err) { showError(box, err); }
  });
  const anchorBtn = document.getElementById("anchor-all");
  const anchorBox = document.getElementById("anchor-status");
  if (anchorBtn) anchorBtn.addEventListener("click", async () => {
    try {
      const reply = await api("POST", "/api/content/anchor");
      anchorBox.hidden = false;
      renderProgress(anchorBox, reply.job);
      followJob(reply.job.id, (snap) => renderProgress(anchorBox, snap));
    } catch (err) { showError(anchorBox, err); }
  });
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
    row.append(el("td", {}, c.name), el("td", { class: mark[1] }, mark[0]), el("td", {}, c.detail));
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
        renderProgress(box, reply.job);
        followJob(reply.job.id, (snap) => renderProgress(box, snap));
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
        renderProgress(box, reply.job);
        followJob(reply.job.id, (snap) => renderProgress(box, snap));
      } catch (err) { showError(box, err); }
    });
  }
}

// Analytics: the ask box.
function initAsk() {
  const form = document.getElementById("ask-form");
  if (!form) return;
  const out = document.getElementById("ask-answer");
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
          for (const v of r) tr.append(el("td", {}, v === null ? "—" : String(v)));
          tbody.append(tr);
        }
        table.append(tbody);
        out.append(table);
        out.append(el("p", { class: "muted", id: "ask-interpretation" },
          a.interpretation + (a.unit ? " — unit: " + a.unit : "") + " (" + a.engine + ")"));
      } else {
        out.append(el("p", { id: "ask-declined" }, a.message || "not answered"));
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

// The overview's chain head follows the node.
function initHead() {
  const head = document.getElementById("stat-head");
  if (!head) return;
  setInterval(() => {
    api("GET", "/api/health").then((h) => { head.textContent = h.head.toLocaleString("en-US"); }).catch(() => {});
  }, 5000);
}

document.addEventListener("DOMContentLoaded", () => {
  initToken(); initSign(); initVerify(); initJobPage(); initHead(); initModels(); initAsk();
});
