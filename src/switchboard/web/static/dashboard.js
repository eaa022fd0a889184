// The supervisor dashboard: queue tiles and the live agent table, fed by Server-Sent Events
// (event `agents`, event `metrics`), acting through the supervisor API with a reason each time.
import {
  ApiError, formatDuration, now, post, put, subscribe, syncServerTime, toMillis,
} from "/static/api.js";

const data = JSON.parse(document.getElementById("dashboard-data").textContent);
syncServerTime(data.ServerTime);

const root = document.querySelector("[data-dashboard]");
const tiles = root.querySelector("[data-tiles]");
const body = root.querySelector("[data-agents]");
const noAgents = root.querySelector("[data-no-agents]");
const liveState = root.querySelector("[data-live-state]");
const bulkButton = root.querySelector("[data-bulk-offline]");
const selectAll = root.querySelector("[data-select-all]");
const selectedCount = root.querySelector("[data-selected-count]");
const queueFilter = root.querySelector("[data-filter-queue]");
const profileFilter = root.querySelector("[data-filter-profile]");
const base = `/switchboard/instances/${encodeURIComponent(data.InstanceId)}`;

// --- words and colours ---------------------------------------------------------------------------

const KINDS = {
  "Available": "available", "Incoming": "incoming", "On contact": "on-contact",
  "After contact work": "acw", "Missed": "failed", "Rejected": "failed", "Error": "failed",
  "Offline": "offline", "Custom": "npt", "ROUTABLE": "available", "OFFLINE": "offline",
  "CUSTOM": "npt",
};
const STATES = {
  INCOMING: "Incoming", PENDING: "Pending", CONNECTING: "Connecting", CONNECTED: "Connected",
  CONNECTED_ONHOLD: "On hold", PAUSED: "Paused", MISSED: "Missed", REJECTED: "Rejected",
  ERROR: "Error", ENDED: "After contact work",
};
const CLEARABLE = new Set(["ENDED", "MISSED", "REJECTED", "ERROR"]);
const CHANNELS = { VOICE: "Voice", CHAT: "Chat", TASK: "Task", EMAIL: "Email" };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role" || key === "type" || key === "for" || key === "id") node.setAttribute(key, value === true ? "" : value);
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function chip(name, kind) {
  return el("span", { class: "chip", "data-kind": kind }, el("span", { class: "dot", "aria-hidden": "true" }), name);
}

// --- queue tiles ---------------------------------------------------------------------------------

const COUNTS = [
  ["AgentsOnline", "Online", "offline"],
  ["AgentsAvailable", "Available", "available"],
  ["AgentsStaffed", "Staffed", "available"],
  ["AgentsOnContact", "On contact", "on-contact"],
  ["AgentsNonProductive", "NPT", "npt"],
  ["AfterContactWork", "ACW", "acw"],
  ["AgentsError", "Error", "failed"],
];

function tileKey(row) { return `${row.QueueId}/${row.Channel}`; }

function renderTiles(rows) {
  const seen = new Set();
  for (const row of rows) {
    const key = tileKey(row);
    seen.add(key);
    let tile = tiles.querySelector(`[data-tile="${CSS.escape(key)}"]`);
    if (!tile) {
      tile = buildTile(row);
      tiles.append(tile);
    }
    updateTile(tile, row);
  }
  for (const tile of [...tiles.children]) if (!seen.has(tile.dataset.tile)) tile.remove();
}

function buildTile(row) {
  const headingId = `tile-${row.QueueId}-${row.Channel}`;
  const counts = el("dl", { class: "counts" });
  for (const [field, label, kind] of COUNTS) {
    const dd = el("dd", { "data-field": field });
    dd.style.setProperty("--swatch", `var(--activity-${kind})`);
    counts.append(el("div", {}, el("dt", { text: label }), dd));
  }
  return el("li", { class: "tile", "data-tile": tileKey(row), "aria-labelledby": headingId, role: "group" },
    el("h3", { id: headingId }, row.QueueName, el("span", { class: "channel", text: CHANNELS[row.Channel] || row.Channel })),
    el("dl", { class: "headline" },
      el("div", {}, el("dt", { text: "In queue" }), el("dd", { "data-field": "ContactsInQueue" })),
      el("div", {}, el("dt", { text: "Oldest" }), el("dd", { class: "oldest", "data-oldest": "" })),
      el("div", {}, el("dt", { text: "Service level today" }), el("dd", { "data-service-level": "" })),
    ),
    counts,
  );
}

function setText(node, text) {
  if (node.textContent !== text) {
    node.textContent = text;
    return true;
  }
  return false;
}

function updateTile(tile, row) {
  for (const node of tile.querySelectorAll("[data-field]")) setText(node, String(row[node.dataset.field] ?? 0));
  const oldest = tile.querySelector("[data-oldest]");
  oldest.dataset.since = row.OldestContactSince || "";
  tickOldest(oldest);
  const level = row.ServiceLevel || {};
  const sl = tile.querySelector("[data-service-level]");
  setText(sl, level.Percent === null || level.Percent === undefined ? "—" : `${Math.round(level.Percent)}%`);
  sl.title = `${level.AnsweredWithin ?? 0} of ${(level.Answered ?? 0) + (level.Unanswered ?? 0) + (level.WaitingPast ?? 0)} contacts within ${level.ThresholdSeconds ?? data.ServiceLevelSeconds} s`;
}

function tickOldest(node) {
  const since = toMillis(node.dataset.since);
  if (since === null) {
    setText(node, "—");
    node.dataset.level = "";
    return;
  }
  const age = Math.max(0, now() - since);
  setText(node, formatDuration(age));
  const seconds = age / 1000;
  node.dataset.level = seconds > data.OldestRedSeconds ? "red" : seconds > data.OldestAmberSeconds ? "amber" : "";
}

// --- the agent table -----------------------------------------------------------------------------

let agents = data.Agents;
const selected = new Set();
let sortKey = "username";
let sortDir = 1;

function contactText(row) {
  if (!row.Contacts.length) return "";
  return row.Contacts.map((c) => `${CHANNELS[c.Channel] || c.Channel} ${stateName(c)}${c.QueueName ? ` · ${c.QueueName}` : ""}`).join("; ");
}

const DIALLED = new Set(["OUTBOUND", "EXTERNAL_OUTBOUND", "CALLBACK"]);

function stateName(contact) {
  if (contact.State === "CONNECTING" && DIALLED.has(contact.InitiationMethod)) return "Dialling";
  return STATES[contact.State] || contact.State;
}

function slotsText(row) {
  return row.Slots.map((s) => `${CHANNELS[s.Channel] || s.Channel} ${s.Busy}/${s.Total}`).join(" · ");
}

const SORTS = {
  username: (r) => r.Username.toLowerCase(),
  status: (r) => r.Status.Name.toLowerCase(),
  activity: (r) => r.Activity.Name.toLowerCase(),
  contact: (r) => contactText(r).toLowerCase(),
  duration: (r) => toMillis(r.Activity.Since) ?? 0,
  next: (r) => (r.NextStatus ? r.NextStatus.Name.toLowerCase() : "\uffff"),
};

function sorted(rows) {
  const key = SORTS[sortKey];
  const dir = sortKey === "duration" ? -sortDir : sortDir; // longest first when ascending
  return [...rows].sort((a, b) => {
    const x = key(a), y = key(b);
    if (x < y) return -dir;
    if (x > y) return dir;
    return a.Username.localeCompare(b.Username);
  });
}

function buildRow(row) {
  const username = row.Username;
  const box = el("input", { type: "checkbox", "aria-label": `Select ${username}`, "data-select": "" });
  box.addEventListener("change", () => {
    if (box.checked) selected.add(row.UserId); else selected.delete(row.UserId);
    updateSelection();
  });
  const menu = el("details", { class: "row-menu" },
    el("summary", { "aria-label": `Actions for ${username}`, text: "Actions" }),
    el("div", { class: "menu", "data-menu": "" }));
  menu.addEventListener("toggle", () => {
    if (menu.open) for (const other of body.querySelectorAll("details[open]")) if (other !== menu) other.open = false;
  });
  return el("tr", { "data-user-id": row.UserId, "data-username": username },
    el("td", { class: "select" }, box),
    el("th", { scope: "row", class: "username", text: username }),
    el("td", { class: "status", "data-cell": "status" }),
    el("td", { class: "activity", "data-cell": "activity" }),
    el("td", { class: "contact-cell", "data-cell": "contact" }),
    el("td", { class: "duration num", "data-cell": "duration" }),
    el("td", { class: "slots", "data-cell": "slots" }),
    el("td", { class: "next", "data-cell": "next" }),
    el("td", { class: "row-actions" }, menu),
  );
}

function updateRow(tr, row) {
  const cell = (name) => tr.querySelector(`[data-cell="${name}"]`);
  let changed = false;
  changed = setText(cell("status"), row.Status.Name) || changed;
  const kind = KINDS[row.Activity.Kind] || "npt";
  const activity = cell("activity");
  if (activity.dataset.name !== row.Activity.Name || activity.dataset.kind !== kind) {
    activity.replaceChildren(chip(row.Activity.Name, kind));
    activity.dataset.name = row.Activity.Name;
    activity.dataset.kind = kind;
    changed = true;
  }
  changed = setText(cell("contact"), contactText(row)) || changed;
  const duration = cell("duration");
  duration.dataset.since = row.Activity.Since;
  tickDuration(duration);
  setText(cell("slots"), slotsText(row));
  changed = setText(cell("next"), row.NextStatus ? row.NextStatus.Name : "") || changed;
  tr.querySelector("[data-select]").checked = selected.has(row.UserId);
  fillMenu(tr.querySelector("[data-menu]"), row, tr.querySelector("details"));
  if (changed && tr.dataset.rendered) {
    tr.classList.remove("changed");
    void tr.offsetWidth; // restart the gentle highlight
    tr.classList.add("changed");
  }
  tr.dataset.rendered = "1";
}

function fillMenu(menu, row, details) {
  const signature = JSON.stringify([row.Contacts.map((c) => [c.ContactId, c.State]), row.LoggedIn]);
  if (menu.dataset.signature === signature) return;
  menu.dataset.signature = signature;
  const buttons = [
    el("button", { type: "button", text: "Change status", onclick: () => { details.open = false; askStatus(row.UserId); } }),
  ];
  for (const contact of row.Contacts) {
    if (!CLEARABLE.has(contact.State)) continue;
    const label = `Clear ${CHANNELS[contact.Channel] || contact.Channel} contact (${STATES[contact.State]})`;
    buttons.push(el("button", { type: "button", text: label, onclick: () => { details.open = false; askClear(row.UserId, contact); } }));
  }
  buttons.push(el("button", { type: "button", text: "Log out", onclick: () => { details.open = false; askLogout(row.UserId); } }));
  menu.replaceChildren(...buttons);
}

function tickDuration(node) {
  const since = toMillis(node.dataset.since);
  setText(node, since === null ? "" : formatDuration(now() - since));
}

function renderAgents(rows, { resort = true } = {}) {
  agents = rows;
  const byId = new Map([...body.children].map((tr) => [tr.dataset.userId, tr]));
  const ids = new Set(rows.map((r) => r.UserId));
  for (const [id, tr] of byId) if (!ids.has(id)) { tr.remove(); byId.delete(id); selected.delete(id); }
  // Keep rows where they are while the pointer or keyboard is on the table: nothing jumps.
  const busy = body.matches(":hover") || body.contains(document.activeElement) || body.querySelector("details[open]");
  const ordered = resort && !busy ? sorted(rows) : rows;
  let previous = null;
  for (const row of ordered) {
    let tr = byId.get(row.UserId);
    const fresh = !tr;
    if (fresh) tr = buildRow(row);
    updateRow(tr, row);
    if (fresh || (resort && !busy)) {
      const want = previous ? previous.nextSibling : body.firstChild;
      if (want !== tr) body.insertBefore(tr, want);
    }
    previous = tr;
  }
  noAgents.hidden = rows.length > 0;
  updateSelection();
}

function updateSelection() {
  const visible = agents.map((r) => r.UserId);
  const count = visible.filter((id) => selected.has(id)).length;
  selectedCount.textContent = `${count} selected`;
  bulkButton.disabled = count === 0 || !data.OfflineStatusId;
  selectAll.checked = count > 0 && count === visible.length;
  selectAll.indeterminate = count > 0 && count < visible.length;
}

selectAll.addEventListener("change", () => {
  for (const row of agents) if (selectAll.checked) selected.add(row.UserId); else selected.delete(row.UserId);
  for (const box of body.querySelectorAll("[data-select]")) box.checked = selectAll.checked;
  updateSelection();
});

for (const button of root.querySelectorAll("[data-sort]")) {
  button.addEventListener("click", () => {
    const key = button.dataset.sort;
    sortDir = key === sortKey ? -sortDir : 1;
    sortKey = key;
    for (const th of root.querySelectorAll("thead [data-col]")) {
      th.setAttribute("aria-sort", th.dataset.col === key ? (sortDir === 1 ? "ascending" : "descending") : "none");
    }
    const focused = document.activeElement;
    body.replaceChildren(...sorted(agents).map((row) => body.querySelector(`[data-user-id="${CSS.escape(row.UserId)}"]`) || buildRow(row)));
    renderAgents(agents, { resort: false });
    if (focused) focused.focus();
  });
}

// --- actions, each with a reason ----------------------------------------------------------------

const dialog = root.querySelector("[data-reason-dialog]");
const dialogForm = dialog.querySelector("[data-reason-form]");
const dialogTitle = dialog.querySelector("[data-reason-title]");
const dialogWhat = dialog.querySelector("[data-reason-what]");
const dialogStatusField = dialog.querySelector("[data-status-field]");
const dialogStatus = dialog.querySelector("[data-reason-status]");
const dialogReason = dialog.querySelector("[data-reason-text]");
const dialogError = dialog.querySelector("[data-reason-error]");
const dialogOk = dialog.querySelector("[data-reason-ok]");
let pending = null;

function ask({ title, what, confirm, withStatus = false, status = null, action }) {
  dialogTitle.textContent = title;
  dialogWhat.textContent = what;
  dialogOk.textContent = confirm;
  dialogStatusField.hidden = !withStatus;
  if (withStatus && status) dialogStatus.value = status;
  dialogReason.value = "";
  dialogError.hidden = true;
  pending = action;
  dialog.showModal();
  (withStatus ? dialogStatus : dialogReason).focus();
}

dialog.querySelector("[data-reason-cancel]").addEventListener("click", () => dialog.close());
dialogForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const reason = dialogReason.value.trim();
  if (!reason) {
    dialogError.textContent = "Give a reason: it goes to the audit trail.";
    dialogError.hidden = false;
    dialogReason.focus();
    return;
  }
  dialogOk.disabled = true;
  try {
    await pending(reason, dialogStatus.value);
    dialog.close();
  } catch (error) {
    dialogError.textContent = error instanceof ApiError ? error.message : String(error);
    dialogError.hidden = false;
  } finally {
    dialogOk.disabled = false;
  }
});

function agentById(id) { return agents.find((r) => r.UserId === id); }

function askStatus(userId) {
  const row = agentById(userId);
  if (!row) return;
  ask({
    title: `Change ${row.Username}'s status`,
    what: `Now ${row.Status.Name} (${row.Activity.Name}). On a live contact the new status waits as the next status.`,
    confirm: "Change status",
    withStatus: true,
    status: row.Status.Id,
    action: (reason, statusId) => put(`${base}/agents/${encodeURIComponent(userId)}/status`, { AgentStatusId: statusId, Reason: reason }),
  });
}

function askClear(userId, contact) {
  const row = agentById(userId);
  ask({
    title: `Clear ${row ? row.Username : ""}'s contact`,
    what: `${CHANNELS[contact.Channel] || contact.Channel} contact ${contact.ContactId.slice(0, 8)}… in ${STATES[contact.State] || contact.State}: clearing frees the slot.`,
    confirm: "Clear contact",
    action: (reason) => post(`${base}/agents/${encodeURIComponent(userId)}/contacts/${encodeURIComponent(contact.ContactId)}/clear`, { Reason: reason }),
  });
}

function askLogout(userId) {
  const row = agentById(userId);
  ask({
    title: `Log ${row ? row.Username : ""} out`,
    what: "Their contacts are ended and their status becomes Offline.",
    confirm: "Log out",
    action: (reason) => post(`${base}/agents/${encodeURIComponent(userId)}/logout`, { Reason: reason }),
  });
}

bulkButton.addEventListener("click", () => {
  const ids = agents.map((r) => r.UserId).filter((id) => selected.has(id));
  const names = ids.map((id) => agentById(id)?.Username).filter(Boolean);
  ask({
    title: `Set ${ids.length} agent${ids.length === 1 ? "" : "s"} Offline`,
    what: names.join(", "),
    confirm: "Set Offline",
    action: async (reason) => {
      const results = await post(`${base}/agents/bulk`, {
        UserIds: ids, Action: "SET_STATUS", AgentStatusId: data.OfflineStatusId, Reason: reason,
      });
      const failed = results.filter((r) => !r.Ok);
      for (const r of results) if (r.Ok) selected.delete(r.UserId);
      updateSelection();
      if (failed.length) {
        throw new Error(failed.map((r) => `${agentById(r.UserId)?.Username || r.UserId}: ${r.Message}`).join("; "));
      }
    },
  });
});

// --- live push -----------------------------------------------------------------------------------

let stream = null;

function connect() {
  if (stream) stream.close();
  const params = new URLSearchParams();
  if (queueFilter.value) params.set("QueueId", queueFilter.value);
  if (profileFilter.value) params.set("RoutingProfileId", profileFilter.value);
  const query = params.toString();
  stream = subscribe(`${base}/events${query ? `?${query}` : ""}`, {
    agents: (rows) => renderAgents(rows),
    metrics: (rows) => renderTiles(rows),
  }, {
    onStatus: (state) => {
      liveState.dataset.state = state;
      liveState.textContent = state === "live" ? "Live" : state === "reconnecting" ? "Reconnecting…" : "Not live";
    },
  });
}

for (const select of [queueFilter, profileFilter]) select.addEventListener("change", connect);
root.querySelector("[data-filters]").addEventListener("submit", (event) => event.preventDefault());

renderTiles(data.Metrics);
renderAgents(data.Agents);
connect();
setInterval(() => {
  for (const node of body.querySelectorAll('[data-cell="duration"]')) tickDuration(node);
  for (const node of tiles.querySelectorAll("[data-oldest]")) tickOldest(node);
}, 1000);
