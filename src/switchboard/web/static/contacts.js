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
