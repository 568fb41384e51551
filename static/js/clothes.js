// The change-clothes page: typed words replace a picked outfit (and picking one clears them), and
// an uploaded photo replaces a library choice (and choosing one clears the upload), so what is
// sent is always what is shown. The page works without this file; the server decides the same way.
(function () {
  "use strict";

  var form = document.querySelector("[data-clothes-form]");
  if (!form) return;
  var description = form.querySelector("[data-outfit-description]");
  var file = form.querySelector("[data-clothing-file]");

  description.addEventListener("input", function () {
    if (!description.value.trim()) return;
    form.querySelectorAll("input[name=outfit]:checked").forEach(function (r) { r.checked = false; });
  });
  form.querySelectorAll("input[name=outfit]").forEach(function (radio) {
    radio.addEventListener("change", function () { description.value = ""; });
  });
  file.addEventListener("change", function () {
    if (!file.files.length) return;
    form.querySelectorAll("[data-clothing-pick]:checked").forEach(function (r) { r.checked = false; });
  });
  form.querySelectorAll("[data-clothing-pick]").forEach(function (radio) {
    radio.addEventListener("change", function () { file.value = ""; });
  });

  // Back from the job page (the browser's page cache): the form can be sent again, with a new key.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    delete form.dataset.submitted;
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      b.removeAttribute("aria-disabled");
      b.classList.remove("is-busy");
    });
    var key = form.querySelector("input[name=key]");
    if (key && window.crypto && crypto.randomUUID) key.value = crypto.randomUUID();
  });
})();
