// Switchboard's pages: calls to Switchboard's own API, live push, times and Agent Activity colours.
// A plain ES module (no build step); every page imports what it needs from "/static/api.js".

/** The session's CSRF token (the page carries it; every mutating call sends it). */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export function setCsrfToken(token) {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) meta.content = token;
}

/** A refusal of the API: HTTP status, Switchboard's code and its message in words. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Send a JSON request; resolve to the parsed answer (null when empty); reject with ApiError.
 *  A 401 on a page (the session ended) goes back to the sign-in page. */
export async function request(method, url, body, { redirectOn401 = true } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (error) {
    throw new ApiError(0, "NetworkError", "The server cannot be reached; check your connection.");
  }
  const text = await answer.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!answer.ok) {
    if (answer.status === 401 && redirectOn401) {
      const here = location.pathname + location.search;
      location.assign("/login?next=" + encodeURIComponent(here));
    }
    const message = (data && (data.message || data.Message || data.detail)) ||
      `The server answered ${answer.status} ${answer.statusText}`;
    const code = (data && (data.code || data.Code)) || String(answer.status);
    throw new ApiError(answer.status, code, typeof message === "string" ? message : JSON.stringify(message));
  }
  return data;
}

export const get = (url, options) => request("GET", url, undefined, options);
export const post = (url, body, options) => request("POST", url, body === undefined ? {} : body, options);
export const put = (url, body, options) => request("PUT", url, body, options);
export const del = (url, options) => request("DELETE", url, undefined, options);

/** Follow a Server-Sent Events stream: `handlers` maps event names to functions of the parsed
 *  data. EventSource retries by itself after a dropped connection; when the browser gives up
 *  (the server refused, or restarted), we reconnect with a growing delay. `onStatus` hears
 *  "live", "reconnecting" and "closed"; `onOpen` runs on each (re)connection, to refetch. */
export function subscribe(url, handlers, { onStatus = () => {}, onOpen = () => {} } = {}) {
  let source = null;
  let delay = 500;
  let stopped = false;
  let timer = null;

  function open() {
    if (stopped) return;
    source = new EventSource(url, { withCredentials: true });
    source.onopen = () => {
      delay = 500;
      onStatus("live");
      onOpen();
    };
    source.onerror = () => {
      if (stopped) return;
      onStatus("reconnecting");
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      }
    };
    for (const [name, handle] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => {
        let data;
        try { data = JSON.parse(event.data); } catch { return; }
        handle(data);
      });
    }
  }

  open();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
      if (source) source.close();
      onStatus("closed");
    },
  };
}

// --- time ----------------------------------------------------------------------------------------

let serverOffset = 0; // server clock minus this browser's clock, in ms

/** A moment in ms since the epoch from what the API sends: ISO 8601 text or epoch (s or ms). */
export function toMillis(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return value < 1e11 ? value * 1000 : value;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

/** Align the browser's timers with the server's clock (from a snapshot's ServerTime). */
export function syncServerTime(serverTime) {
  const at = toMillis(serverTime);
  if (at !== null) serverOffset = at - Date.now();
}

/** Now, on the server's clock. */
export function now() {
  return Date.now() + serverOffset;
}

/** A duration as 0:05, 12:34 or 1:02:03. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** The viewer's time zone, e.g. "Europe/Paris". */
export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** A moment as a clock time in the viewer's time zone, e.g. "14:03:22". */
export function formatClock(ms) {
  return new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).format(new Date(ms));
}

/** A moment as a date and time in the viewer's time zone, with the zone, e.g. "26 Nov 2026, 14:03 CET". */
export function formatDateTime(ms) {
  return new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium", timeStyle: "short", timeZoneName: "short",
  }).format(new Date(ms));
}

function zoneLabel() {
  const zone = timeZone();
  const offset = new Intl.DateTimeFormat("en", { timeZoneName: "shortOffset" })
    .formatToParts(new Date()).find((part) => part.type === "timeZoneName");
  return offset && offset.value !== zone ? `${zone} (${offset.value})` : zone;
}

// --- Agent Activity ----------------------------------------------------------------------------

const FIXED_ACTIVITIES = {
  "Incoming": "incoming",
  "On contact": "on-contact",
  "After contact work": "acw",
  "Missed": "failed",
  "Rejected": "failed",
  "Error": "failed",
};

/** The colour family of an Agent Activity (UI.md): its name, or with no contact the status's
 *  own name and type (ROUTABLE: available, OFFLINE: offline, CUSTOM: non-productive time). */
export function activityKind(name, statusType) {
  if (FIXED_ACTIVITIES[name]) return FIXED_ACTIVITIES[name];
  if (statusType === "ROUTABLE") return "available";
  if (statusType === "OFFLINE") return "offline";
  if (statusType === "CUSTOM") return "npt";
  if (name === "Available") return "available";
  if (name === "Offline") return "offline";
  return "npt";
}

/** The colour family of one contact's state, for its card. */
export function contactKind(state) {
  switch (state) {
    case "INCOMING": case "PENDING": return "incoming";
    case "CONNECTING": case "CONNECTED": case "CONNECTED_ONHOLD": case "PAUSED": return "on-contact";
    case "ENDED": return "acw";
    case "MISSED": case "REJECTED": case "ERROR": return "failed";
    default: return "offline";
  }
}

// --- the shell -----------------------------------------------------------------------------------

const signOutSteps = [];

/** Something to do before the session ends (the CCP logs the agent out first); a step that
 *  throws stops the sign-out and its message is shown. */
export function beforeSignOut(step) {
  signOutSteps.push(step);
}

function setUpShell() {
  for (const zone of document.querySelectorAll("[data-zone]")) {
    zone.textContent = `Times in ${zoneLabel()}`;
  }
  for (const button of document.querySelectorAll("[data-sign-out]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        for (const step of signOutSteps) await step();
      } catch (error) {
        button.disabled = false;
        if (!error.shown) alert(`Could not sign out: ${error.message}`);
        return;
      }
      try {
        await post("/switchboard/logout", {}, { redirectOn401: false });
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 401) {
          button.disabled = false;
          alert(`Could not sign out: ${error.message}`);
          return;
        }
      }
      location.assign("/login");
    });
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", setUpShell);
} else {
  setUpShell();
}
