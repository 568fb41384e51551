// Training photos: upload into buckets (two at a time, with progress), drag between buckets,
// move / remove / replace / accept without a page load, live 12-9-6-3 counters, and a refresh of
// the tiles when background work (analysis, the check, captions) finishes. Every action is also a
// plain form, so the page works without this file.
(function () {
  "use strict";

  var board = document.getElementById("dataset-board");
  if (!board) return;

  var PARALLEL = 2;
  var MIN = parseInt(board.dataset.min, 10);
  var MAX = parseInt(board.dataset.max, 10);
  var editable = board.dataset.editable === "true";
  var queue = [], active = 0, inFlight = 0;

  function csrf() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function buckets() { return Array.prototype.slice.call(board.querySelectorAll(".ds-bucket")); }
  function gridOf(key) { return board.querySelector('[data-grid="' + key + '"]'); }

  // ------------------------------------------------------------------ Counters (rules.bucket_minimums)
  function minimums(total) {
    var n = Math.min(Math.max(total, MIN), MAX), result = {};
    buckets().forEach(function (b) { result[b.dataset.bucket] = Math.floor(n * parseFloat(b.dataset.share) + 1e-9); });
    return result;
  }

  function updateCounters() {
    var counts = {}, total = 0;
    buckets().forEach(function (b) {
      var n = b.querySelectorAll(".ds-tile").length;
      counts[b.dataset.bucket] = n;
      total += n;
    });
    var mins = minimums(total);
    buckets().forEach(function (b) {
      var key = b.dataset.bucket, have = counts[key], need = mins[key], counter = b.querySelector("[data-counter]");
      var missing = Math.max(need - have, 0);
      counter.textContent = missing ? have + " of at least " + need + " — add " + missing + " more" : have + " ✓";
      counter.classList.toggle("is-ok", !missing);
    });
    var totalCounter = document.querySelector("[data-total-counter]");
    if (totalCounter) {
      var text = total + " of " + MIN + "–" + MAX;
      if (total < MIN) text += " — add " + (MIN - total) + " more";
      else if (total > MAX) text += " — remove " + (total - MAX);
      else text += " ✓";
      totalCounter.textContent = text;
      totalCounter.classList.toggle("is-ok", total >= MIN && total <= MAX);
    }
    return total;
  }

  // ------------------------------------------------------------------ Refreshing from the server
  function refreshStatus() {
    var status = document.getElementById("dataset-status");
    if (!status || !window.htmx) return;
    window.htmx.ajax("GET", board.dataset.statusUrl, { target: "#dataset-status", swap: "outerHTML" });
  }

  // What a tile shows, without what changes on every render (CSRF tokens, signed thumbnail
  // URLs) or only in this browser (an open menu, a drag, a pending action).
  var TRANSIENT = ["is-busy", "is-leaving", "is-dragging", "is-moving"];
  function isTransient(tile) {
    return TRANSIENT.some(function (cls) { return tile.classList.contains(cls); });
  }
  function signature(tile) {
    var copy = tile.cloneNode(true);
    TRANSIENT.forEach(function (cls) { copy.classList.remove(cls); });
    copy.querySelectorAll("details[open]").forEach(function (d) { d.removeAttribute("open"); });
    copy.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (i) { i.removeAttribute("value"); });
    copy.querySelectorAll("img[src]").forEach(function (img) { img.setAttribute("src", img.getAttribute("src").split("?")[0]); });
    return copy.outerHTML;
  }

  // Bring the tiles up to date with the server, touching only the ones that changed: a tile
  // whose menu is open, that is being dragged or whose action is still on its way stays where
  // the person is working with it, and a changed tile keeps its menu open.
  function refreshBoard() {
    return fetch(board.dataset.boardUrl, {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "HX-Target": "dataset-board" }
    }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var keep = new Set();
      buckets().forEach(function (b) {
        var key = b.dataset.bucket, grid = gridOf(key), fresh = doc.querySelector('[data-grid="' + key + '"]');
        if (!fresh) return;
        var wanted = Array.prototype.slice.call(fresh.children).map(function (t) {
          var now = document.getElementById(t.id), next = document.importNode(t, true);
          if (!now) return next;
          if (isTransient(now)) return now;
          if (signature(now) === signature(next)) return now;
          var menu = now.querySelector("details[open]"), nextMenu = next.querySelector("details");
          if (menu && nextMenu) nextMenu.setAttribute("open", "");
          now.replaceWith(next);
          return next;
        });
        // Tiles already here keep their place (nothing jumps under the pointer); tiles new to this
        // bucket join at its end, before uploads in progress. A tile whose move is still being
        // saved stays in the bucket the person put it in: this answer may predate the move.
        var firstUpload = grid.querySelector(".ds-upload");
        wanted.forEach(function (tile) {
          keep.add(tile);
          if (tile.parentNode !== grid && !isTransient(tile)) grid.insertBefore(tile, firstUpload);
        });
      });
      board.querySelectorAll(".ds-tile").forEach(function (t) { if (!keep.has(t)) t.remove(); });
      updateCounters();
    });
  }

  var refreshTimer = null;
  function afterChange() {
    updateCounters();
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () { if (!inFlight) refreshStatus(); }, 250);
  }

  // The status panel carries a version of what background work has done; when it moves on,
  // the tiles have news (analysis finished, check results, captions).
  var lastVersion = (document.getElementById("dataset-status") || {}).dataset;
  lastVersion = lastVersion ? lastVersion.version : "";
  document.addEventListener("htmx:afterSwap", function () {
    var status = document.getElementById("dataset-status");
    if (!status || status.dataset.version === lastVersion) return;
    lastVersion = status.dataset.version;
    if (!inFlight) refreshBoard();
  });

  function postForm(form, body) {
    return fetch(form.action, {
      method: "POST",
      body: body || new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json" }
    }).then(function (r) {
      return r.json().catch(function () { return { error: "Something went wrong (" + r.status + "). Reload the page and try again." }; })
        .then(function (json) { return { ok: r.ok, json: json }; });
    });
  }

  function toast(message, kind) {
    var box = document.getElementById("messages");
    if (!box) return;
    var t = el("div", "toast " + (kind || "error"));
    t.appendChild(el("span", null, message));
    var close = el("button", null, "×");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", function () { t.remove(); });
    t.appendChild(close);
    box.appendChild(t);
    if (kind === "success") setTimeout(function () { t.remove(); }, 5000);
  }

  function tileFromHtml(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  if (!editable) return;

  // ------------------------------------------------------------------ Uploads
  function UploadTile(file, bucket) {
    this.file = file;
    this.bucket = bucket;
    this.node = el("li", "ds-upload");
    var thumb = el("div", "ds-thumb ds-thumb-upload");
    this.progress = el("div", "progress");
    this.fill = el("span");
    this.progress.appendChild(this.fill);
    this.state = el("p", "ds-upload-state", "Waiting…");
    thumb.appendChild(el("span", "ds-upload-name", file.name));
    thumb.appendChild(this.progress);
    this.node.appendChild(thumb);
    this.node.appendChild(this.state);
    gridOf(bucket).appendChild(this.node);
  }
  UploadTile.prototype.fail = function (message) {
    var self = this;
    this.node.classList.add("is-error");
    this.progress.remove();
    this.state.textContent = message;
    var dismiss = el("button", "ds-dismiss", "×");
    dismiss.type = "button";
    dismiss.title = "Dismiss";
    dismiss.setAttribute("aria-label", "Dismiss this message about " + this.file.name);
    dismiss.addEventListener("click", function () { self.node.remove(); });
    this.node.querySelector(".ds-thumb").appendChild(dismiss);
  };

  function pump() {
    while (active < PARALLEL && queue.length) {
      var tile = queue.shift();
      active++;
      send(tile).then(finished, finished);
    }
  }
  function finished() {
    active--;
    inFlight--;
    pump();
    if (!inFlight) { refreshStatus(); }
  }

  function send(tile) {
    return new Promise(function (resolve) {
      var body = new FormData();
      body.append("bucket", tile.bucket);
      body.append("file", tile.file, tile.file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", board.dataset.uploadUrl, true);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      tile.state.textContent = "Uploading…";
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        tile.fill.style.width = pct + "%";
        tile.state.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Processing…";
      };
      xhr.onload = function () {
        var json = {};
        try { json = JSON.parse(xhr.responseText); } catch (e) { json = {}; }
        if (xhr.status === 201 && json.tile) {
          var node = tileFromHtml(json.tile);
          tile.node.replaceWith(node);
          updateCounters();
        } else {
          tile.fail(json.error || "The upload failed (" + xhr.status + "). Try again.");
        }
        resolve();
      };
      xhr.onerror = function () { tile.fail("Network problem — check your connection and try again."); resolve(); };
      xhr.send(body);
    });
  }

  function add(files, bucket) {
    files = Array.prototype.slice.call(files);
    if (!files.length) return;
    var room = MAX - board.querySelectorAll(".ds-tile").length - inFlight;
    if (files.length > room) {
      toast(room > 0
        ? "Only " + room + " more photo" + (room === 1 ? "" : "s") + " fit: training takes at most " + MAX + ". Adding the first " + room + "."
        : "The dataset is full: training takes at most " + MAX + " photos. Remove one first.");
      files = files.slice(0, Math.max(room, 0));
    }
    files.forEach(function (file) {
      inFlight++;
      queue.push(new UploadTile(file, bucket));
    });
    pump();
  }

  board.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches("[data-upload-input]")) {
      add(input.files, input.closest(".ds-bucket").dataset.bucket);
      input.value = "";
    } else if (input.matches("[data-replace-input]") && input.files.length) {
      replace(input.form, input.files[0]);
      input.value = "";
    }
  });

  function replace(form, file) {
    var li = form.closest(".ds-tile");
    var details = form.closest("details");
    if (details) details.removeAttribute("open");
    li.classList.add("is-busy");
    var body = new FormData();
    body.append("file", file, file.name);
    postForm(form, body).then(function (res) {
      li.classList.remove("is-busy");
      if (!res.ok) { toast(res.json.error); return; }
      li.replaceWith(tileFromHtml(res.json.tile));
      afterChange();
    });
  }

  // ------------------------------------------------------------------ Tile actions without a reload
  // A move shows at once and is saved in the background. Until the save answers the tile is
  // "is-moving", so a board refresh that began before it leaves the tile where it was put.
  function moveTile(li, form) {
    var key = form.querySelector("input[name=bucket]").value;
    gridOf(key).insertBefore(li, gridOf(key).querySelector(".ds-upload"));
    li.classList.add("is-moving");
    updateCounters();
    postForm(form).then(function (res) {
      li.classList.remove("is-moving");
      if (!res.ok) toast(res.json.error);
      refreshBoard();
      afterChange();
    });
  }

  board.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-ds-action]");
    if (!form) return;
    event.preventDefault();
    var action = form.dataset.dsAction, li = form.closest(".ds-tile");
    if (action === "replace") return;
    var details = form.closest("details");
    if (details) details.removeAttribute("open");
    if (action === "move") return moveTile(li, form);
    if (action === "remove") li.classList.add("is-leaving");
    postForm(form).then(function (res) {
      if (!res.ok) {
        toast(res.json.error);
        li.classList.remove("is-leaving");
        refreshBoard();
        return;
      }
      if (action === "remove") li.remove();
      if (action === "accept") refreshBoard();
      afterChange();
    });
  });

  // ------------------------------------------------------------------ Drag and drop
  var dragged = null;
  board.addEventListener("dragstart", function (event) {
    var li = event.target.closest && event.target.closest(".ds-tile[draggable=true]");
    if (!li) return;
    dragged = li;
    li.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/x-dataset-image", li.dataset.id);
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    buckets().forEach(function (b) { b.classList.remove("is-over"); });
  });

  function isFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0;
  }

  ["dragenter", "dragover"].forEach(function (type) {
    board.addEventListener(type, function (event) {
      var bucket = event.target.closest && event.target.closest(".ds-bucket");
      if (!bucket || (!dragged && !isFiles(event))) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = dragged ? "move" : "copy";
      buckets().forEach(function (b) { b.classList.toggle("is-over", b === bucket); });
    });
  });
  board.addEventListener("dragleave", function (event) {
    var bucket = event.target.closest && event.target.closest(".ds-bucket");
    if (bucket && !bucket.contains(event.relatedTarget)) bucket.classList.remove("is-over");
  });
  board.addEventListener("drop", function (event) {
    var bucket = event.target.closest && event.target.closest(".ds-bucket");
    buckets().forEach(function (b) { b.classList.remove("is-over"); });
    if (!bucket) return;
    if (dragged) {
      event.preventDefault();
      var choice = dragged.querySelector(
        'form[data-ds-action=move] input[name=bucket][value="' + bucket.dataset.bucket + '"]'
      );
      if (choice && dragged.closest(".ds-bucket") !== bucket) moveTile(dragged, choice.form);
    } else if (isFiles(event)) {
      event.preventDefault();
      add(event.dataTransfer.files, bucket.dataset.bucket);
    }
  });
  // A file dropped next to a bucket would otherwise open in the tab and leave the page.
  document.addEventListener("dragover", function (event) { if (isFiles(event)) event.preventDefault(); });
  document.addEventListener("drop", function (event) {
    if (isFiles(event) && !event.target.closest(".ds-bucket")) {
      event.preventDefault();
      toast("Drop photos on one of the four groups: close-ups, half-body, full-body or variety.");
    }
  });

  // ------------------------------------------------------------------ Caption dialog
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-caption]");
    if (!button) return;
    var text = document.getElementById("caption-text");
    if (text) text.value = button.dataset.caption;
  });
})();
