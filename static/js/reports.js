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
});
