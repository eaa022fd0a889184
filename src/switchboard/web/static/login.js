// The sign-in page: POST /switchboard/login, then the page the user came for, or their home.
import { ApiError, post } from "/static/api.js";

const form = document.querySelector("[data-login-form]");
const error = form.querySelector("[data-error]");

function explain(failure) {
  if (!(failure instanceof ApiError)) return "Something went wrong; try again.";
  if (failure.status === 401 || failure.status === 403) return "Wrong username or password.";
  if (failure.status === 0) return failure.message;
  if (failure.status === 429) return "Too many attempts; wait a moment and try again.";
  return failure.message;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!username || !password) {
    error.textContent = !username ? "Enter your username." : "Enter your password.";
    error.hidden = false;
    (username ? form.elements.password : form.elements.username).focus();
    return;
  }
  const body = { Username: username, Password: password };
  const instance = form.elements.instance;
  if (instance && instance.value) body.InstanceId = instance.value;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await post("/switchboard/login", body, { redirectOn401: false });
  } catch (failure) {
    error.textContent = explain(failure);
    error.hidden = false;
    button.disabled = false;
    form.elements.password.select();
    return;
  }
  // "/" sends each user to their home page: the dashboard for supervisors, the CCP for agents.
  location.assign(form.dataset.next || "/");
});
