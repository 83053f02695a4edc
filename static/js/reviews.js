// Small progressive enhancements for the reviews pages; every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // Scheduling a review: the sample size only means something when leads are picked.
  const pick = document.getElementById("id_pick");
  const sample = document.getElementById("id_sample_size");
  if (pick && sample) {
    const sync = () => { sample.disabled = pick.value === ""; };
    pick.addEventListener("change", sync);
    sync();
  }
  // Feedback form: focus the first rating so a rep can answer with the keyboard at once.
  const firstRating = document.querySelector("form input[name=rating]");
  if (firstRating && !document.querySelector(".errorlist")) firstRating.focus({ preventScroll: true });
});
