// Import progress: poll the JSON status endpoint and update the page until the job ends.
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
    for (const name of ["percent", "rows", "created", "duplicates", "failed", "warnings", "status_label"]) {
      field(name).forEach((el) => { el.textContent = data[name]; });
    }
    field("error").forEach((el) => {
      el.textContent = data.error;
      el.classList.toggle("hidden", !data.error);
    });
    field("report_url").forEach((el) => {
      if (data.report_url) { el.href = data.report_url; el.classList.remove("hidden"); }
    });
    if (!data.finished) window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
});
