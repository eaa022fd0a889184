// The admin page: each form goes to /admin/api/... as JSON with the session's CSRF token (api.js);
// access keys through /switchboard/instances/{id}/users/{id}/access-keys.
import { ApiError, del, get, post } from "/static/api.js";

const root = document.querySelector("[data-admin]");
const instanceId = root.dataset.instanceId;
const status = root.querySelector("[data-admin-status]");

function say(text, kind = "ok") {
  status.textContent = text;
  status.dataset.kind = kind;
  status.hidden = false;
}

/** A form's fields as JSON: `data-type` int/bool/list; "A.B" names nest. Empty numbers are left out. */
function formJson(form) {
  const out = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled || field.type === "submit") continue;
    let value;
    const type = field.dataset.type;
    if (type === "bool") value = field.checked;
    else if (type === "int") {
      if (field.value === "") continue;
      value = Number.parseInt(field.value, 10);
    } else if (type === "list") value = [field.value];
    else if (field.type === "checkbox") continue;
    else value = field.value;
    const path = field.name.split(".");
    let into = out;
    for (const part of path.slice(0, -1)) into = into[part] ??= {};
    into[path[path.length - 1]] = value;
  }
  return out;
}

function profileJson(form) {
  const body = formJson(form);
  const media = [];
  const queues = [...form.querySelectorAll("[data-profile-queue]:checked")].map((box) => box.value);
  const configs = [];
  for (const input of form.querySelectorAll("[data-channel]")) {
    delete body[input.name];
    const count = Number.parseInt(input.value || "0", 10);
    if (count > 0) {
      media.push({ Channel: input.dataset.channel, Concurrency: count });
      for (const queueId of queues) {
        configs.push({ QueueReference: { QueueId: queueId, Channel: input.dataset.channel }, Priority: 1, Delay: 0 });
      }
    }
  }
  return { ...body, MediaConcurrencies: media, QueueConfigs: configs };
}

for (const form of root.querySelectorAll("form[data-api]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const body = form.hasAttribute("data-profile-form") ? profileJson(form) : formJson(form);
      await post(form.dataset.api, body);
      if (form.hasAttribute("data-reset")) {
        form.reset();
        say(form.dataset.done);
      } else {
        sessionStorage.setItem("admin-done", form.dataset.done);
        location.reload();
      }
    } catch (error) {
      say(error instanceof ApiError ? error.message : String(error), "error");
    } finally {
      button.disabled = false;
    }
  });
}

const done = sessionStorage.getItem("admin-done");
if (done) {
  sessionStorage.removeItem("admin-done");
  say(done);
}

// --- access keys ---------------------------------------------------------------------------------

const secret = root.querySelector("[data-secret]");
secret.querySelector("[data-secret-close]").addEventListener("click", () => { secret.hidden = true; });

function keysUrl(userId) {
  return `/switchboard/instances/${encodeURIComponent(instanceId)}/users/${encodeURIComponent(userId)}/access-keys`;
}

async function loadKeys(box) {
  const list = box.querySelector("[data-key-list]");
  let keys;
  try {
    keys = await get(keysUrl(box.dataset.keys));
  } catch (error) {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: error.message }));
    return;
  }
  list.replaceChildren(...keys.map((key) => {
    const item = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = key.AccessKeyId;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete access key ${key.AccessKeyId}`);
    remove.addEventListener("click", async () => {
      if (!confirm(`Delete access key ${key.AccessKeyId} of ${box.dataset.username}? Programs using it stop at once.`)) return;
      try {
        await del(`${keysUrl(box.dataset.keys)}/${encodeURIComponent(key.AccessKeyId)}`);
        say(`Access key ${key.AccessKeyId} deleted`);
      } catch (error) {
        say(error.message, "error");
      }
      loadKeys(box);
    });
    item.append(code, remove);
    return item;
  }));
}

for (const box of root.querySelectorAll("[data-keys]")) {
  loadKeys(box);
  box.querySelector("[data-create-key]").addEventListener("click", async () => {
    try {
      const made = await post(keysUrl(box.dataset.keys), {});
      secret.querySelector("[data-secret-user]").textContent = box.dataset.username;
      secret.querySelector("[data-secret-id]").textContent = made.AccessKeyId;
      secret.querySelector("[data-secret-key]").textContent = made.SecretAccessKey;
      secret.hidden = false;
      secret.scrollIntoView({ block: "nearest" });
      loadKeys(box);
    } catch (error) {
      say(error instanceof ApiError ? error.message : String(error), "error");
    }
  });
}
