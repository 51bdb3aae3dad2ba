// aiweb3 dashboard, Privacy page: scan a stored meta-address's payments (viewing key only).
"use strict";

function aiusd(units) { return (units / 1e6).toLocaleString("en-US", { maximumFractionDigits: 6 }); }

function shortHash(h) { return h.slice(0, 10) + "…" + h.slice(-8); }

function renderFound(reply) {
  const card = document.getElementById("found-card");
  const body = document.querySelector("#found-table tbody");
  body.innerHTML = "";
  for (const f of reply.found) {
    const row = el("tr", { "data-address": f.stealth_address });
    const addr = el("td", { class: "mono" });
    addr.append(el("a", { href: "/address/" + f.stealth_address }, f.stealth_address));
    const tx = el("td", { class: "mono" });
    tx.append(el("a", { href: "/tx/" + f.tx_hash, title: f.tx_hash }, shortHash(f.tx_hash)));
    row.append(addr, el("td", { class: "num" }, aiusd(f.announced_amount)), el("td", { class: "num" }, aiusd(f.balance)),
      el("td", { class: "num" }, String(f.block)), tx);
    body.append(row);
  }
  document.getElementById("found-summary").textContent =
    reply.found.length + " payment(s) to " + reply.name + " among " + reply.announcements +
    " announcement(s); their one-time addresses hold " + aiusd(reply.total_balance) + " AIUSD.";
  card.hidden = false;
}

function initScan() {
  const form = document.getElementById("scan-form");
  if (!form) return;
  const box = document.getElementById("scan-status");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const password = document.getElementById("scan-password");
    const body = { name: document.getElementById("scan-name").value, password: password.value };
    box.hidden = false;
    box.textContent = "scanning…";
    try {
      const reply = await api("POST", "/api/privacy/scan", undefined, body);
      password.value = "";
      box.hidden = true;
      renderFound(reply);
    } catch (err) { showError(box, err); }
  });
}

document.addEventListener("DOMContentLoaded", initScan);
