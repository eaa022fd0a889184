// Contacts pages: write each <time data-ms> in the viewer's time zone, with the zone shown.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const format = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
});
const clock = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
});
for (const node of document.querySelectorAll("time[data-ms]")) {
  const at = new Date(Number(node.dataset.ms));
  node.dateTime = at.toISOString();
  node.title = format.format(at);
  node.textContent = (node.dataset.format === "clock" ? clock : format).format(at);
}
const footer = document.querySelector("[data-zone]");
if (footer) footer.textContent = `Times in ${zone}`;

// The search range: the server writes UTC wall-clock times; show and send the viewer's own.
const search = document.querySelector("form[role='search']");
if (search) {
  const pad = (n) => String(n).padStart(2, "0");
  const localText = (at) => `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
  for (const input of search.querySelectorAll("[data-utc-input]")) {
    const at = new Date(`${input.value}:00Z`);
    if (!Number.isNaN(at.getTime())) input.value = localText(at);
  }
  for (const label of search.querySelectorAll("[data-zone-label]")) label.textContent = `(${zone})`;
  search.addEventListener("submit", () => {
    for (const input of search.querySelectorAll("[data-utc-input]")) {
      const at = new Date(input.value); // a datetime-local value reads as local time
      if (Number.isNaN(at.getTime()) || !input.name) continue;
      const sent = document.createElement("input");
      sent.type = "hidden";
      sent.name = input.name;
      sent.value = at.toISOString();
      input.removeAttribute("name");
      search.append(sent);
    }
  });
}
