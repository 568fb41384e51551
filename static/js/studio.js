// The Studio's form: the live credit cost, the outfit summary, the presets a style replaces and the
// written prompts.
// Everything here is a convenience on top of a form that works without it; the server checks all.
(function () {
  "use strict";

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function fmt(n) { return n.toLocaleString("en-GB"); }

  function checked(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function update(form) {
    var quality = checked(form, "quality") || "draft";
    var count = parseInt(checked(form, "count") || "5", 10);
    var outfit = checked(form, "outfit");
    var perImage = parseInt(form.dataset[quality === "hq" ? "priceHq" : "priceDraft"], 10);
    if (outfit === "clothing") perImage += parseInt(form.dataset.priceClothing, 10);
    var total = perImage * count;
    var available = parseInt(form.dataset.available, 10);

    var line = form.querySelector("[data-cost-line]");
    var note = form.querySelector("[data-cost-note]");
    var button = form.querySelector("[data-generate]");
    line.textContent = plural(count, "image", "images") + " · " + plural(total, "credit", "credits");
    if (total > available) {
      note.textContent = "You need " + fmt(total) + " credits and have " + fmt(available) +
        " available. Choose fewer images or draft quality, or add credits on the Billing page.";
      note.classList.add("is-short");
      if (button && !button.disabled) { button.disabled = true; button.dataset.shortDisabled = "1"; }
    } else {
      note.textContent = fmt(perImage) + " credits an image · " + fmt(available) + " available · charged only for images that arrive";
      note.classList.remove("is-short");
      if (button && button.dataset.shortDisabled) { button.disabled = false; delete button.dataset.shortDisabled; }
    }

    // The outfit summary names the choice.
    var summary = form.querySelector("[data-outfit-summary]");
    var picked = form.querySelector('input[name="outfit"]:checked');
    if (summary && picked) {
      var name = picked.closest("label").querySelector(".outfit-name");
      var words = picked.closest("label").querySelector(".outfit-words");
      summary.textContent = picked.value === "" ? (words ? words.textContent : "Default outfit") : (name ? name.textContent.trim() : picked.value);
    }

    // A style replaces the scene and the environment: dim them while one is chosen.
    var style = checked(form, "style");
    form.querySelectorAll("[data-style-replaces]").forEach(function (group) {
      group.classList.toggle("is-replaced", style !== "");
    });

    // Written prompts beyond the pack size aren't used: dim them and say so.
    form.querySelectorAll(".written-list li").forEach(function (item, index) {
      item.classList.toggle("is-unused", index >= count);
    });
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-studio]");
    if (form) update(form);
  });

  document.addEventListener("click", function (event) {
    var clear = event.target.closest("[data-written-clear]");
    if (clear) {
      var box = clear.closest("[data-written]");
      if (box) box.remove();
    }
  });

  function init() {
    document.querySelectorAll("form[data-studio]").forEach(update);
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();

// The pack polls every second; while a tile's menu (a <details>) is open, a poll would close it, so
// the poll waits. (Not an hx-trigger filter: those are evaluated JavaScript, which the CSP forbids.)
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail.elt;
  if (elt && elt.hasAttribute("data-pause-while-open") && elt.querySelector("details[open]")) event.preventDefault();
});
