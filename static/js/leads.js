// Import progress: poll the JSON status endpoint and update the page until the job ends;
// then fetch the page once more and show its list of problems in place (no reload).
// Without JavaScript the page shows a "Refresh" link instead.
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.querySelector("[data-import-status]");
  if (!panel || panel.dataset.finished === "1") return;
  const url = panel.dataset.importStatus;
  const bar = panel.querySelector("progress");
  const field = (name) => document.querySelectorAll(`[data-field="${name}"]`);
  const refresh = panel.querySelector(".refresh-link");
  if (refresh) refresh.classList.add("hidden");

  const poll = async () => {
    let data;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch (error) {
      if (refresh) refresh.classList.remove("hidden");
      return;
    }
    bar.value = data.percent;
    // Numbers as the server writes them in the reader's language (data.shown).
    for (const name of ["percent", "rows", "created", "duplicates", "failed", "warnings"]) {
      field(name).forEach((el) => { el.textContent = data.shown[name]; });
    }
    field("status_label").forEach((el) => { el.textContent = data.status_label; });
    field("error").forEach((el) => {
      el.textContent = data.error;
      el.classList.toggle("hidden", !data.error);
    });
    field("queued_long").forEach((el) => { el.classList.toggle("hidden", !data.queued_long); });
    field("report_url").forEach((el) => {
      if (data.report_url) { el.href = data.report_url; el.classList.remove("hidden"); }
    });
    if (!data.finished) window.setTimeout(poll, 1000);
    else showIssues();
  };

  // The problems are rendered by the server, as on a reload: read them from the page.
  const showIssues = async () => {
    const slot = document.querySelector("[data-import-issues-slot]");
    if (!slot) return;
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const issues = fresh.querySelector("[data-import-issues-slot]");
      if (issues) slot.replaceChildren(...Array.from(issues.childNodes).map((node) => document.importNode(node, true)));
    } catch (error) {
      if (refresh) refresh.classList.remove("hidden");
    }
  };
  window.setTimeout(poll, 500);
});
