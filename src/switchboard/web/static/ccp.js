// The CCP: renders the agent's snapshot (GET /switchboard/ccp, then every push on
// /switchboard/ccp/events) and sends the agent's actions. Timers tick here from the snapshot's
// timestamps; nothing polls. Cards are updated in place, keyed by ContactId, so a push never
// takes the keyboard focus away.
import {
  ApiError, activityKind, beforeSignOut, contactKind, formatClock, formatDuration, get, now, post,
  put, subscribe, syncServerTime, toMillis,
} from "/static/api.js";

const root = document.querySelector("[data-ccp]");
const $ = (selector, within = root) => within.querySelector(selector);
const statusSelect = $("#status");
const errorBox = $("[data-error]");
const live = document.querySelector("[data-live]");
const cardTemplate = document.getElementById("contact-card");

const CHANNELS = { VOICE: "Voice", CHAT: "Chat", TASK: "Task", EMAIL: "Email" };
const STATE_NAMES = {
  INCOMING: "Incoming",
  PENDING: "Pending",
  CONNECTING: "Connecting",
  CONNECTED: "Connected",
  CONNECTED_ONHOLD: "On hold",
  PAUSED: "Paused",
  ENDED: "After contact work",
  MISSED: "Missed",
  REJECTED: "Rejected",
  ERROR: "Error",
};
const OFFER_STATES = new Set(["INCOMING", "PENDING"]);
/** An offer waits for the agent: inbound and ringing (a voice offer is CONNECTING, as in
 *  Amazon Connect's agent events), or anything the agent may accept. */
function isOffer(contact) {
  if (Array.isArray(contact.Actions) && contact.Actions.some((a) => String(a).toLowerCase() === "accept")) return true;
  return OFFER_STATES.has(contact.State) ||
    (contact.State === "CONNECTING" && contact.InitiationMethod !== "OUTBOUND" && contact.OfferExpiresAt != null);
}
const FAILED_STATES = new Set(["MISSED", "REJECTED", "ERROR"]);
// Buttons in the order they appear on a card, with their names (tests and screen readers use them).
const ACTIONS = [
  ["accept", "Accept", "accept big"],
  ["reject", "Reject", "danger big"],
  ["hold", "Hold", ""],
  ["resume", "Resume", ""],
  ["end", "End contact", "danger"],
  ["clear", "Clear contact", "primary"],
];
const DEFAULT_ACTIONS = {
  INCOMING: ["accept", "reject"],
  PENDING: ["accept", "reject"],
  CONNECTING: ["end"],
  CONNECTED: ["hold", "end", "transfer"],
  CONNECTED_ONHOLD: ["resume", "end", "transfer"],
  PAUSED: ["resume", "end"],
  ENDED: ["clear"],
  MISSED: ["clear"],
  REJECTED: ["clear"],
  ERROR: ["clear"],
};

let snapshot = null;
let appliedAt = -Infinity;
let statusTypes = new Map();
const seenOrder = new Map(); // ContactId -> arrival number, so cards stay newest first and stable
let arrivals = 0;
const cards = new Map(); // ContactId -> card element

// --- reading the snapshot ------------------------------------------------------------------------

function channelName(channel) {
  return CHANNELS[channel] || (channel ? channel.charAt(0) + channel.slice(1).toLowerCase() : "");
}

function actionsOf(contact) {
  const given = Array.isArray(contact.Actions) ? contact.Actions : DEFAULT_ACTIONS[contact.State] || [];
  return new Set(given.map((action) => {
    const word = String(action).toLowerCase().replace(/[^a-z]/g, "");
    return word.replace(/contact$/, "") || word;
  }));
}

function nextStatusName(agent) {
  const next = agent.NextStatus;
  if (!next) return null;
  if (typeof next === "string") return next;
  return next.Name || null;
}

// --- actions -------------------------------------------------------------------------------------

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = "";
}

async function act(what, call, button) {
  // Busy, not disabled: a disabled button drops the keyboard focus.
  if (button) {
    if (button.dataset.busy) return null;
    button.dataset.busy = "1";
    button.setAttribute("aria-busy", "true");
  }
  try {
    const answer = await call();
    clearError();
    // Mutations answer the new snapshot; others (dial, transfer) answer ids: read it then.
    if (answer && answer.Agent) apply(answer);
    else await refresh();
    return answer;
  } catch (failure) {
    const message = failure instanceof ApiError ? failure.message : String(failure);
    showError(`Could not ${what}: ${message}`);
    return null;
  } finally {
    if (button) {
      delete button.dataset.busy;
      button.removeAttribute("aria-busy");
    }
  }
}

function contactAction(contact, action, button) {
  const label = ACTIONS.find(([name]) => name === action)?.[1] || action;
  const url = `/switchboard/ccp/contacts/${encodeURIComponent(contact.ContactId)}/${action}`;
  return act(label.toLowerCase(), () => post(url, {}), button);
}

statusSelect.addEventListener("change", () => {
  const chosen = statusSelect.value;
  act(
    "change your status",
    () => put("/switchboard/ccp/status", { AgentStatusId: chosen }),
    statusSelect,
  ).then(() => render());
});

$("[data-cancel-next]").addEventListener("click", (event) => {
  // Choosing the current status again cancels the next status (DESIGN §3.9).
  const current = snapshot && snapshot.Agent.Status.Id;
  if (current) {
    act("cancel the next status", () => put("/switchboard/ccp/status", { AgentStatusId: current }), event.currentTarget);
  }
});

const dial = $("[data-dial]");
const phone = $("#phone-number");
dial.addEventListener("submit", async (event) => {
  event.preventDefault();
  const number = phone.value.replace(/[\s().-]/g, "");
  if (!number) {
    showError("Enter a phone number to call.");
    phone.focus();
    return;
  }
  const answer = await act(
    `call ${number}`,
    () => post("/switchboard/ccp/dial", { PhoneNumber: number }),
    dial.querySelector('button[type="submit"]'),
  );
  if (answer) phone.value = "";
});
for (const key of dial.querySelectorAll("[data-key]")) {
  key.addEventListener("click", () => {
    phone.value += key.dataset.key;
  });
}

// Enter accepts the offer, unless the keyboard is in a field or on another control.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.defaultPrevented || event.isComposing) return;
  const target = event.target;
  if (target && target.closest && target.closest("input, select, textarea, button, a")) return;
  const accept = root.querySelector("[data-offers] button[data-action='accept']:not([data-busy])");
  if (accept) {
    event.preventDefault();
    accept.click();
  }
});

// --- rendering -----------------------------------------------------------------------------------

function renderAgent(agent, statuses) {
  statusTypes = new Map(statuses.map((s) => [s.Id, s.Type]));
  const options = statuses.map((s) => `${s.Id}\u0000${s.Name}`).join("\u0001");
  if (statusSelect.dataset.options !== options) {
    statusSelect.replaceChildren(...statuses.map((s) => new Option(s.Name, s.Id)));
    statusSelect.dataset.options = options;
  }
  if (!statuses.some((s) => s.Id === agent.Status.Id)) {
    // A status that is no longer offered (disabled since) still shows as the current one.
    statusSelect.append(new Option(agent.Status.Name, agent.Status.Id));
    statusSelect.dataset.options = "";
  }
  statusSelect.value = agent.Status.Id;
  statusSelect.disabled = false;

  const statusTimer = $("[data-status-timer]");
  statusTimer.dataset.since = toMillis(agent.Status.Since) ?? "";
  statusTimer.setAttribute("aria-label", `In ${agent.Status.Name} for`);

  const activity = agent.Activity || { Name: agent.Status.Name, Since: agent.Status.Since };
  const chip = $("[data-activity]");
  chip.dataset.kind = activityKind(activity.Name, agent.Status.Type || statusTypes.get(agent.Status.Id));
  $("[data-activity-name]").textContent = activity.Name;
  chip.setAttribute("aria-label", `Agent Activity: ${activity.Name}`);
  $("[data-activity-timer]").dataset.since = toMillis(activity.Since) ?? "";

  const next = nextStatusName(agent);
  $("[data-next]").hidden = !next;
  $("[data-next-name]").textContent = next || "";

  const slots = (agent.Slots || []).filter((slot) => slot.Total > 0);
  $("[data-slots]").textContent = slots
    .map((slot) => `${channelName(slot.Channel)} ${slot.Busy}/${slot.Total}`)
    .join(" · ");
}

function newCard(contact) {
  const card = cardTemplate.content.firstElementChild.cloneNode(true);
  card.dataset.contactId = contact.ContactId;
  const form = $("[data-transfer]", card);
  const select = $("[data-transfer-queue]", form);
  const selectId = `transfer-${contact.ContactId}`;
  select.id = selectId;
  $("[data-transfer-label]", form).htmlFor = selectId;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const current = card.contact;
    const queue = select.options[select.selectedIndex];
    if (!current || !queue) return;
    act(
      `transfer to ${queue.text}`,
      () => post(`/switchboard/ccp/contacts/${encodeURIComponent(current.ContactId)}/transfer`, { QueueId: queue.value }),
      form.querySelector("button"),
    );
  });
  return card;
}

function describeFailure(contact) {
  const what = `a ${channelName(contact.Channel)} contact${contact.QueueName ? ` from ${contact.QueueName}` : ""}`;
  switch (contact.State) {
    case "MISSED": return `Missed: ${what} was not accepted in time. You get no new contacts until you clear it.`;
    case "REJECTED": return `Rejected: you rejected ${what}. You get no new contacts until you clear it.`;
    default: return `Error: ${what} could not be connected. You get no new contacts until you clear it.`;
  }
}

function fillCard(card, contact, queues) {
  card.contact = contact;
  const offer = isOffer(contact);
  const failed = FAILED_STATES.has(contact.State);
  const kind = offer ? "incoming" : contactKind(contact.State);
  card.dataset.kind = kind;
  card.dataset.state = contact.State;
  card.classList.toggle("offer", offer);
  card.classList.toggle("banner", failed);
  const channel = channelName(contact.Channel);
  const stateName = offer ? "Incoming" : STATE_NAMES[contact.State] || contact.State;
  const outbound = contact.InitiationMethod === "OUTBOUND";
  const title = offer ? `Incoming ${channel.toLowerCase()} contact` : `${channel} contact, ${stateName}`;
  card.setAttribute("aria-label", title);
  card.setAttribute("role", failed ? "alert" : "region");

  $("[data-channel]", card).textContent = offer ? `Incoming ${channel.toLowerCase()}` : channel;
  $("[data-queue]", card).textContent = contact.QueueName || "";
  const timer = $("[data-timer]", card);
  timer.dataset.since = toMillis(contact.StateSince) ?? "";
  timer.setAttribute("aria-label", `${stateName} for`);
  const chip = $("[data-state-chip]", card);
  chip.dataset.kind = kind;
  const shownState = contact.State === "CONNECTING" && outbound ? "Dialing" : stateName;
  $("[data-state]", card).textContent = failed ? describeFailure(contact) : shownState;
  chip.classList.toggle("chip", !failed);
  const caller = contact.CustomerEndpoint || contact.Caller || "";
  const method = contact.InitiationMethod ? contact.InitiationMethod.toLowerCase().replace(/_/g, " ") : "";
  $("[data-method]", card).textContent = failed ? "" : [method, caller].filter(Boolean).join(" · ");

  // A countdown: to the offer's timeout, or to the end of a limited ACW.
  const ends = toMillis(offer ? contact.OfferExpiresAt : contact.State === "ENDED" ? contact.AcwExpiresAt : null);
  const countdown = $("[data-countdown]", card);
  const countdownText = $("[data-countdown-text]", card);
  countdown.hidden = countdownText.hidden = ends === null;
  if (ends !== null) {
    countdown.dataset.from = toMillis(contact.StateSince) ?? now();
    countdown.dataset.until = ends;
    countdownText.dataset.until = ends;
    countdownText.dataset.label = offer ? "Offer expires in" : "After contact work ends in";
    countdown.setAttribute("role", "progressbar");
    countdown.setAttribute("aria-label", countdownText.dataset.label);
    countdown.setAttribute("aria-valuemin", "0");
    countdown.setAttribute("aria-valuemax", String(Math.ceil((ends - Number(countdown.dataset.from)) / 1000)));
  }

  const actions = actionsOf(contact);
  const wanted = ACTIONS.filter(([name]) => actions.has(name));
  const box = $("[data-actions]", card);
  const key = wanted.map(([name]) => name).join(",");
  if (box.dataset.key !== key) {
    const hadFocus = box.contains(document.activeElement);
    box.replaceChildren(...wanted.map(([name, label, style]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.dataset.action = name;
      if (style) button.className = style;
      button.addEventListener("click", () => contactAction(card.contact, name, button));
      return button;
    }));
    box.dataset.key = key;
    // Hold becomes Resume in the same place: keep the keyboard where it was.
    if (hadFocus && box.firstElementChild) box.firstElementChild.focus();
  }

  const form = $("[data-transfer]", card);
  form.hidden = !actions.has("transfer") || !queues.length;
  const select = $("[data-transfer-queue]", form);
  const queueKey = queues.map((q) => q.Id).join(",");
  if (select.dataset.key !== queueKey) {
    select.replaceChildren(...queues.map((q) => new Option(q.Name, q.Id)));
    select.dataset.key = queueKey;
  }
}

function renderContacts(contacts, queues) {
  for (const contact of contacts) {
    if (!seenOrder.has(contact.ContactId)) seenOrder.set(contact.ContactId, arrivals++);
  }
  const present = new Set(contacts.map((c) => c.ContactId));
  for (const [id, card] of cards) {
    if (!present.has(id)) {
      card.remove();
      cards.delete(id);
      seenOrder.delete(id);
    }
  }
  const newestFirst = [...contacts].sort((a, b) => seenOrder.get(b.ContactId) - seenOrder.get(a.ContactId));
  const places = {
    banners: $("[data-banners]"),
    offers: $("[data-offers]"),
    contacts: $("[data-contacts]"),
  };
  const lists = { banners: [], offers: [], contacts: [] };
  let offerArrived = false;
  for (const contact of newestFirst) {
    let card = cards.get(contact.ContactId);
    if (!card) {
      card = newCard(contact);
      cards.set(contact.ContactId, card);
    }
    fillCard(card, contact, queues);
    const place = FAILED_STATES.has(contact.State) ? "banners" : isOffer(contact) ? "offers" : "contacts";
    if (place === "offers" && card.parentElement !== places.offers) offerArrived = true;
    lists[place].push(card);
  }
  for (const [place, list] of Object.entries(lists)) {
    const element = places[place];
    list.forEach((card, index) => {
      if (element.children[index] !== card) element.insertBefore(card, element.children[index] || null);
    });
  }
  const offering = lists.offers.length > 0;
  document.title = offering ? "Incoming contact · CCP · Switchboard" : "CCP · Switchboard";
  // An offer takes the keyboard, so Enter accepts at once (unless the agent is typing).
  const typing = document.activeElement && document.activeElement.matches("input, textarea");
  if (offerArrived && !typing) {
    lists.offers[0].querySelector("button[data-action='accept']")?.focus();
  }
}

function apply(next) {
  const at = toMillis(next.ServerTime) ?? Date.now();
  if (at < appliedAt) return; // an older answer than what is shown
  appliedAt = at;
  syncServerTime(next.ServerTime);
  snapshot = next;
  render();
}

function render() {
  if (!snapshot) return;
  renderAgent(snapshot.Agent, snapshot.Statuses || []);
  renderContacts(snapshot.Contacts || [], snapshot.Queues || []);
  tick();
}

// --- timers --------------------------------------------------------------------------------------

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function tick() {
  const t = now();
  for (const element of root.querySelectorAll("[data-since]")) {
    const since = Number(element.dataset.since);
    setText(element, element.dataset.since ? formatDuration(t - since) : "");
    if (element.dataset.since) element.title = `Since ${formatClock(since)}`;
  }
  for (const bar of root.querySelectorAll("[data-countdown]:not([hidden])")) {
    const from = Number(bar.dataset.from);
    const until = Number(bar.dataset.until);
    const left = Math.max(0, until - t);
    const share = until > from ? left / (until - from) : 0;
    bar.firstElementChild.style.transform = `scaleX(${share.toFixed(4)})`;
    bar.setAttribute("aria-valuenow", String(Math.ceil(left / 1000)));
  }
  for (const text of root.querySelectorAll("[data-countdown-text]:not([hidden])")) {
    const left = Math.max(0, Number(text.dataset.until) - t);
    setText(text, `${text.dataset.label} ${formatDuration(left + 999)}`);
  }
}

// Signing out of the CCP logs the agent out (Offline), so no contact is offered to an empty
// chair; the server refuses while a contact is live, and the agent stays signed in.
beforeSignOut(async () => {
  try {
    await post("/switchboard/ccp/logout", {}, { redirectOn401: false });
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) return;
    showError(`Could not sign out: ${failure.message}`);
    failure.shown = true;
    throw failure;
  }
});

// --- start ---------------------------------------------------------------------------------------

async function refresh() {
  apply(await get("/switchboard/ccp"));
}

function showLive(state) {
  if (!live) return;
  live.hidden = false;
  live.dataset.state = state;
  live.textContent = state === "live" ? "Live" : state === "reconnecting" ? "Reconnecting…" : "Disconnected";
}

async function start() {
  try {
    await refresh();
    if (snapshot && snapshot.Agent && snapshot.Agent.LoggedIn === false) {
      // Opening the CCP logs the agent in, as Amazon Connect's CCP does.
      await post("/switchboard/ccp/login", {});
      await refresh();
    }
  } catch (failure) {
    showError(`Could not load your CCP: ${failure.message}`);
  }
  subscribe("/switchboard/ccp/events", { ccp: apply }, {
    onStatus: showLive,
    onOpen: () => refresh().catch(() => {}),
  });
  setInterval(tick, 250);
}

start();
