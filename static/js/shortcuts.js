// Keyboard shortcuts: "?" lists them (the dialog in templates/includes/shortcuts.html); the library
// and the Studio add their own. Plain keys never fire while typing in a field, nor with Ctrl, Alt or
// ⌘ held (those belong to the browser), nor while another dialog is open. Every shortcut repeats
// something a visible control does, so nothing here is the only way to do it.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  function openDialog() {
    var open = document.querySelector("dialog[open]");
    return open || null;
  }

  function visible(el) { return !!(el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length)); }

  // Move focus along a list of elements (library tiles, Studio results) by ``step``.
  function move(items, step) {
    items = items.filter(visible);
    if (!items.length) return false;
    var at = items.indexOf(document.activeElement);
    var next = at === -1 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step));
    items[next].focus();
    if (items[next].scrollIntoView) items[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }

  var library = {
    "/": function () { var q = document.getElementById("id_q"); if (!q) return false; q.focus(); q.select(); return true; },
    "j": function () { return move(all("#asset-grid .tile-link"), 1); },
    "k": function () { return move(all("#asset-grid .tile-link"), -1); },
    "x": function () {
      var tile = document.activeElement && document.activeElement.closest ? document.activeElement.closest("#asset-grid .tile") : null;
      var box = tile && tile.querySelector(".tile-check input");
      if (!box) return false;
      box.click(); // the library's own handler selects it and shows the bulk bar
      return true;
    },
    "u": function () { var input = document.getElementById("upload-input"); if (!input) return false; input.click(); return true; }
  };
  library.ArrowRight = library.j;
  library.ArrowLeft = library.k;

  function generate() {
    var button = document.querySelector("#studio-form [data-generate]");
    if (!button || button.disabled) return false;
    button.click();
    return true;
  }

  var studio = {
    "g": generate,
    "j": function () { return move(all("#pack .pack-grid .tile-media[href]"), 1); },
    "k": function () { return move(all("#pack .pack-grid .tile-media[href]"), -1); }
  };
  studio.ArrowRight = studio.j;
  studio.ArrowLeft = studio.k;

  function scope() {
    if (document.getElementById("asset-grid")) return library;
    if (document.getElementById("studio-form")) return studio;
    return {};
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    // ⌘/Ctrl + Enter generates from anywhere in the Studio form, fields included.
    if (event.key === "Enter" && (event.metaKey || event.ctrlKey) && event.target.closest && event.target.closest("#studio-form")) {
      if (generate()) event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var help = document.getElementById("shortcuts-dialog");
    var open = openDialog();
    if (event.key === "?") {
      if (!help || !help.showModal) return;
      if (open && open !== help) return;
      event.preventDefault();
      if (help.open) help.close(); else help.showModal();
      return;
    }
    if (open) return;
    var action = scope()[event.key];
    if (action && action()) event.preventDefault();
  });
})();
