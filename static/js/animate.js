// Animate: the cost of each step and of the whole animation as the part of the video and the
// clothes change, and adult content offered only for a character that allows it. The server
// checks everything again; nothing is charged until the face swap.
(function () {
  "use strict";

  var form = document.querySelector("form[data-animate-form]");
  if (!form) return;
  var d = form.dataset;
  function n(value) { return parseInt(value, 10); }
  function fmt(value) { return value.toLocaleString("en-GB"); }

  function update() {
    var seconds = parseFloat(form.querySelector("[data-seconds]").value) || 0;
    var billed = Math.max(1, Math.ceil(seconds - 0.05));
    var clothes = Boolean(form.querySelector("[data-outfit]").value || form.querySelector("[data-outfit-words]").value.trim());
    var refine = clothes ? n(d.clothes) : n(d.refine);
    var animation = billed * n(d.perSecond);
    var total = n(d.swap) + refine + animation;
    form.querySelector("[data-refine-cost]").textContent = refine + " credits" + (clothes ? " (with a clothing change)" : "");
    form.querySelector("[data-animate-words]").textContent = "Animation, " + billed + " s × " + d.perSecond;
    form.querySelector("[data-animate-cost]").textContent = fmt(animation) + " credits";
    form.querySelector("[data-total-cost]").textContent = fmt(total) + " credits";
    var note = form.querySelector("[data-cost-note]");
    var available = n(d.available);
    var short = total > available;
    note.textContent = short
      ? "This animation needs " + fmt(total) + " credits in all and you have " + fmt(available) + " available. Choose a shorter part, or add credits on the Billing page."
      : "You have " + fmt(available) + " credits available. Redoing a step costs that step again.";
    note.classList.toggle("is-short", short);
    note.classList.toggle("muted", !short);
    form.querySelector("[data-animate-submit]").disabled = short;

    var chosen = form.querySelector('input[name="character"]:checked');
    var row = form.querySelector("[data-nsfw-row]");
    var allowed = Boolean(chosen) && chosen.dataset.nsfw === "1";
    row.hidden = !allowed;
    row.querySelector("input").disabled = !allowed;
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
  var errors = form.querySelector("[data-animate-errors]");
  if (errors) errors.focus();
})();
