// Small progressive enhancements. Everything works without this file.
(function () {
  "use strict";

  // Open a <dialog> named by data-dialog-open; close it with [data-dialog-close] or Escape.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (!dialog || !dialog.showModal) return;
      event.preventDefault();
      // A shared dialog takes its form action and wording from the button that opened it.
      var form = dialog.querySelector("[data-dialog-form]");
      if (form && opener.dataset.dialogAction) form.setAttribute("action", opener.dataset.dialogAction);
      dialog.querySelectorAll("[data-dialog-slot]").forEach(function (slot) {
        var key = "dialog" + slot.dataset.dialogSlot.charAt(0).toUpperCase() + slot.dataset.dialogSlot.slice(1);
        if (opener.dataset[key] !== undefined) slot.textContent = opener.dataset[key];
      });
      dialog.showModal();
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) { var d = closer.closest("dialog"); if (d) { event.preventDefault(); d.close(); } }
  });

  // Copy the text of the element named by data-copy.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.querySelector("[data-copy-label]");
      if (!label) return;
      var before = label.textContent;
      label.textContent = "Copied";
      setTimeout(function () { label.textContent = before; }, 1500);
    });
  });

  // Mobile navigation drawer.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-nav-toggle]")) { document.body.classList.toggle("nav-open"); return; }
    if (document.body.classList.contains("nav-open") && !event.target.closest(".sidebar")) {
      document.body.classList.remove("nav-open");
    }
  });

  // Close open <details> menus when clicking elsewhere, or on one of their links (which may
  // only jump to an anchor on the same page).
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (d) {
      if (!d.contains(event.target) || event.target.closest("a")) d.removeAttribute("open");
    });
  });

  // Toasts dismiss themselves after a while, and on click.
  function arm(toast) {
    if (toast.dataset.armed) return;
    toast.dataset.armed = "1";
    var close = toast.querySelector("button");
    if (close) close.addEventListener("click", function () { toast.remove(); });
    if (!toast.classList.contains("error")) setTimeout(function () { toast.remove(); }, 6000);
  }
  function armAll() { document.querySelectorAll(".toast").forEach(arm); }
  document.addEventListener("DOMContentLoaded", armAll);
  document.addEventListener("htmx:afterSettle", armAll);
  document.addEventListener("htmx:oobAfterSwap", armAll);

  // Submitting a select with data-autosubmit (e.g. a role picker) posts its form.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) {
      select.form.requestSubmit();
    }
  });

  // A form with data-once submits once: its submit button is disabled after the first click
  // (the server also ignores a repeated submit of the same form).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-once]");
    if (!form) return;
    if (form.dataset.submitted) { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); b.classList.add("is-busy"); });
  });
})();
