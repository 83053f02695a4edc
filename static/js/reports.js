// Reports: small conveniences (the pages work without them).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  document.querySelectorAll("select[data-autonavigate]").forEach((select) => {
    select.addEventListener("change", () => { window.location.href = select.value; });
  });
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  // A scorecard too wide for the screen opens on the period shown (the latest unless
  // another was picked), not on the oldest: scrolled until that column ends at the
  // visible end, in the page's direction (scrollLeft runs negative right to left).
  document.querySelectorAll(".table-wrap").forEach((wrap) => {
    const shown = wrap.querySelector("thead th.current");
    if (!shown || wrap.scrollWidth <= wrap.clientWidth) return;
    const rtl = getComputedStyle(wrap).direction === "rtl";
    const seen = wrap.getBoundingClientRect();
    const box = shown.getBoundingClientRect();
    const past = rtl ? seen.left - box.left : box.right - seen.right;
    if (past > 0) wrap.scrollLeft += rtl ? -past : past;
  });
});
