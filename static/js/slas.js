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
      if (row.classList.contains("commitment-card")) showParams(row);
      const first = row.querySelector("input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    });
  });

  // A new row that was never saved is dropped: put back its untouched defaults (an
  // unchanged extra form is ignored by the server) and hide it.
  document.addEventListener("click", (event) => {
    const drop = event.target.closest("[data-formset-drop]");
    if (!drop) return;
    const row = drop.closest(".formset-row");
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
    if (box) box.closest(".formset-row").classList.toggle("removing", box.checked);
  });

  // Commitment cards: the Up and Down buttons submit the form without JavaScript (the
  // server sends the cards back in the new order); here they move the card in place and
  // number the hidden positions, and the focus stays on the button pressed.
  document.querySelectorAll("[data-reorder]").forEach((fieldset) => {
    const list = fieldset.querySelector("[data-formset-body]");
    const status = fieldset.querySelector("[data-reorder-status]");
    const movable = () => [...list.children].filter((card) => card.querySelector("[data-move]"));
    const refresh = () => {
      const cards = movable();
      cards.forEach((card, index) => {
        const position = card.querySelector("input[name$='-position']");
        if (position) position.value = String(index + 1);
        card.querySelector("[data-move=up]").setAttribute("aria-disabled", String(index === 0));
        card
          .querySelector("[data-move=down]")
          .setAttribute("aria-disabled", String(index === cards.length - 1));
      });
    };
    movable().forEach((card) => {
      card.querySelector("[data-move=up]").setAttribute("aria-disabled", "false");
    });
    const initial = movable();
    if (initial.length) {
      initial[0].querySelector("[data-move=up]").setAttribute("aria-disabled", "true");
      initial[initial.length - 1].querySelector("[data-move=down]").setAttribute("aria-disabled", "true");
    }
    fieldset.addEventListener("click", (event) => {
      const button = event.target.closest("[data-move]");
      if (!button) return;
      event.preventDefault();
      const card = button.closest(".commitment-card");
      const cards = movable();
      const index = cards.indexOf(card);
      const other = button.dataset.move === "up" ? index - 1 : index + 1;
      if (other < 0 || other >= cards.length) return;
      // Move the neighbour, never the card holding the focus (moving it would drop focus).
      if (other < index) list.insertBefore(cards[other], card.nextSibling);
      else list.insertBefore(cards[other], card);
      refresh();
      status.textContent = fieldset.dataset.movedText
        .replace("{place}", String(other + 1))
        .replace("{count}", String(cards.length));
    });
  });

  // The send page's "a request sent now expires on ..." is written by the server for the
  // days it knows; while the box says another number it is hidden rather than wrong.
  const hint = document.querySelector("[data-expiry-hint]");
  const expiry = document.querySelector("#id_request_expiry_days");
  if (hint && expiry) {
    expiry.addEventListener("input", () => {
      hint.hidden = expiry.value.trim() !== hint.dataset.forDays;
    });
  }

  // A commitment's unit and parameters follow its kind.
  document.addEventListener("change", (event) => {
    const select = event.target.closest(".commitment-card select[name$='-kind']");
    if (!select) return;
    const card = select.closest(".commitment-card");
    card.dataset.commitmentKind = select.value;
    const unit = card.querySelector(".unit[data-unit-count]");
    if (unit) unit.textContent = select.value === "mql_volume" ? unit.dataset.unitCount : unit.dataset.unitRate;
    showParams(card);
  });
  function showParams(card) {
    const kind = card.dataset.commitmentKind;
    card.querySelectorAll("[data-param-kinds]").forEach((field) => {
      const used = field.dataset.paramKinds.split(" ").includes(kind);
      field.hidden = !used && !field.querySelector(".errorlist");
    });
  }
  document.querySelectorAll(".commitment-card").forEach(showParams);
});
