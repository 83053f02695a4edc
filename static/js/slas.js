// Agreement pages: add/remove formset rows, print buttons. Every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });

  document.querySelectorAll("[data-formset-add]").forEach((button) => {
    const fieldset = button.closest("[data-formset]");
    const prefix = fieldset.dataset.formset;
    const template = fieldset.querySelector("template[data-formset-template]");
    const body = fieldset.querySelector("[data-formset-body]");
    const total = fieldset.querySelector(`#id_${prefix}-TOTAL_FORMS`);
    button.addEventListener("click", () => {
      const index = Number(total.value);
      const html = template.innerHTML.replaceAll("__prefix__", String(index));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const row = body.lastElementChild;
      row.dataset.index = String(index);
      const first = row.querySelector("input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    });
  });

  // A new row that was never saved is dropped: put back its untouched defaults (an
  // unchanged extra form is ignored by the server) and hide it.
  document.addEventListener("click", (event) => {
    const drop = event.target.closest("[data-formset-drop]");
    if (!drop) return;
    const row = drop.closest("tr");
    const fieldset = row.closest("[data-formset]");
    const template = fieldset.querySelector("template[data-formset-template]");
    const holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replaceAll("__prefix__", row.dataset.index || "0");
    const pristine = holder.firstElementChild;
    pristine.hidden = true;
    row.replaceWith(pristine);
  });
  document.addEventListener("change", (event) => {
    const box = event.target.closest("label.remove input[type=checkbox]");
    if (box) box.closest("tr").classList.toggle("removing", box.checked);
  });
});
