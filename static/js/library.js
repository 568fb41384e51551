// Library: the uploader (drag & drop, per-file progress, cancel) and multi-select for bulk actions.
(function () {
  "use strict";

  function csrf() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function formatBytes(n) {
    var units = ["bytes", "KB", "MB", "GB"], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
  }

  function postForm(url, data) {
    var body = new FormData();
    Object.keys(data || {}).forEach(function (k) { body.append(k, data[k]); });
    return fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (json) { return { ok: r.ok, json: json }; }); });
  }

  // ---------------------------------------------------------------- Uploader
  var zone = document.getElementById("dropzone");
  if (zone) {
    var input = document.getElementById("upload-input");
    var list = document.getElementById("upload-list");
    var startUrl = zone.dataset.startUrl;
    var maxFiles = parseInt(zone.dataset.maxFiles || "100", 10);
    var queue = [], active = 0, PARALLEL = 3, finishedSinceRefresh = 0;

    function Row(file) {
      this.file = file;
      this.node = el("li", "upload-item");
      this.name = el("span", "name", file.name);
      this.state = el("span", "state", "Waiting… " + formatBytes(file.size));
      this.bar = el("div", "progress");
      this.fill = el("span");
      this.bar.appendChild(this.fill);
      this.cancel = el("button", "btn btn-sm btn-ghost", "Cancel");
      this.cancel.type = "button";
      var left = el("div");
      left.className = "upload-text";
      left.appendChild(this.name);
      left.appendChild(this.state);
      this.node.appendChild(left);
      this.node.appendChild(this.cancel);
      this.node.appendChild(this.bar);
      list.appendChild(this.node);
      var self = this;
      this.cancel.addEventListener("click", function () { self.abort(); });
    }
    Row.prototype.progress = function (fraction) { this.fill.style.width = Math.round(fraction * 100) + "%"; };
    Row.prototype.say = function (text, kind) {
      this.state.textContent = text;
      this.node.classList.remove("is-error", "is-done", "is-duplicate");
      if (kind) this.node.classList.add("is-" + kind);
      if (kind) { this.cancel.remove(); this.bar.remove(); }
    };
    Row.prototype.link = function (href, label) {
      var a = el("a", null, label);
      a.href = href;
      this.state.appendChild(document.createTextNode(" "));
      this.state.appendChild(a);
    };
    Row.prototype.abort = function () {
      this.cancelled = true;
      if (this.xhr) this.xhr.abort();
      if (this.upload) postForm(this.upload.cancel_url);
      this.say("Cancelled — nothing was added.", "error");
      if (!this.started) { queue = queue.filter(function (r) { return r !== this; }, this); }
    };

    function pump() {
      while (active < PARALLEL && queue.length) {
        var row = queue.shift();
        if (row.cancelled) continue;
        active++;
        send(row).then(done, done);
      }
    }
    function done() {
      active--;
      finishedSinceRefresh++;
      pump();
      if (active === 0 && !queue.length) refreshGrid();
    }

    function send(row) {
      row.started = true;
      row.say("Preparing…");
      var type = row.file.type || "";
      // The "Project" choice (when the organisation has open projects): the upload lands in it too.
      var project = zone.querySelector("select[name='upload-project']");
      var data = { filename: row.file.name, size: row.file.size, content_type: type, project: project ? project.value : "" };
      return postForm(startUrl, data).then(function (res) {
        if (row.cancelled) return;
        if (!res.ok) { row.say(res.json.error || "This file can't be uploaded.", "error"); return; }
        row.upload = res.json;
        return put(row, res.json.target).then(function (okMessage) {
          if (row.cancelled) return;
          if (okMessage !== true) { row.say(okMessage, "error"); postForm(row.upload.cancel_url); return; }
          row.say("Processing…");
          return postForm(row.upload.complete_url).then(function (res2) {
            if (!res2.ok) { row.say(res2.json.error || "The upload didn't complete.", "error"); return; }
            return poll(row);
          });
        });
      }).catch(function () {
        if (!row.cancelled) row.say("Network problem — check your connection and try again.", "error");
      });
    }

    function put(row, target) {
      return new Promise(function (resolve) {
        var xhr = new XMLHttpRequest();
        row.xhr = xhr;
        xhr.open(target.method || "PUT", target.url, true);
        Object.keys(target.headers || {}).forEach(function (h) { xhr.setRequestHeader(h, target.headers[h]); });
        if (target.url.charAt(0) === "/") xhr.setRequestHeader("X-CSRFToken", csrf());
        xhr.upload.onprogress = function (e) {
          if (e.lengthComputable) {
            row.progress(e.loaded / e.total);
            row.state.textContent = "Uploading… " + Math.round((e.loaded / e.total) * 100) + "% of " + formatBytes(e.total);
          }
        };
        xhr.onload = function () {
          if (xhr.status >= 200 && xhr.status < 300) { row.progress(1); resolve(true); return; }
          var message = "The upload failed (" + xhr.status + "). Try again.";
          try { message = JSON.parse(xhr.responseText).error || message; } catch (e) { /* not JSON */ }
          resolve(message);
        };
        xhr.onerror = function () { resolve("Network problem — check your connection and try again."); };
        xhr.onabort = function () { resolve("Cancelled — nothing was added."); };
        xhr.send(row.file);
      });
    }

    function poll(row) {
      return new Promise(function (resolve) {
        var delay = 500;
        function tick() {
          if (row.cancelled) return resolve();
          fetch(row.upload.status_url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
            if (!s.done) { delay = Math.min(delay * 1.5, 3000); setTimeout(tick, delay); return; }
            if (s.status === "done") {
              var cleaned = s.cleaned && s.cleaned.length ? " Removed: " + s.cleaned.join("; ") + "." : "";
              row.say("Added to the library." + cleaned, "done");
              if (s.asset_url) row.link(s.asset_url, "Open");
            }
            else if (s.status === "duplicate") { row.say("Already in your library.", "duplicate"); if (s.asset_url) row.link(s.asset_url, "See it"); }
            else { row.say(s.error || s.status_label, "error"); }
            resolve();
          }).catch(function () { setTimeout(tick, 3000); });
        }
        tick();
      });
    }

    function refreshGrid() {
      if (!finishedSinceRefresh || !window.htmx) return;
      finishedSinceRefresh = 0;
      window.htmx.ajax("GET", window.location.pathname + window.location.search, { target: "#asset-grid", swap: "outerHTML" });
    }

    function add(files) {
      files = Array.prototype.slice.call(files);
      if (files.length > maxFiles) {
        var warn = new Row({ name: files.length + " files", size: 0 });
        warn.say("That's " + files.length + " files; drop at most " + maxFiles + " at a time.", "error");
        return;
      }
      files.forEach(function (file) { queue.push(new Row(file)); });
      pump();
    }

    input.addEventListener("change", function () { add(input.files); input.value = ""; });
    ["dragenter", "dragover"].forEach(function (type) {
      document.addEventListener(type, function (e) {
        if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) {
          e.preventDefault();
          zone.classList.add("is-over");
        }
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      document.addEventListener(type, function (e) {
        if (type === "dragleave" && e.relatedTarget) return;
        zone.classList.remove("is-over");
      });
    });
    document.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length) {
        e.preventDefault();
        add(e.dataTransfer.files);
      }
    });
  }

  // ---------------------------------------------------------------- Selection and bulk actions
  var bar = document.getElementById("bulk-bar");
  var lastClicked = null;

  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("#asset-grid .tile-check input")); }
  function sync() {
    var chosen = boxes().filter(function (b) { return b.checked; });
    boxes().forEach(function (b) { b.closest(".tile").classList.toggle("is-selected", b.checked); });
    var grid = document.getElementById("asset-grid");
    if (grid) grid.classList.toggle("is-selecting", chosen.length > 0);
    if (!bar) return;
    bar.hidden = chosen.length === 0;
    bar.querySelector("input[name=ids]").value = chosen.map(function (b) { return b.value; }).join(",");
    bar.querySelectorAll("[data-selected-count]").forEach(function (n) { n.textContent = chosen.length; });
  }

  // Check ``box`` (already toggled by the click or by us); with shift, give the whole range its state.
  function choose(box, shift) {
    if (shift && lastClicked && lastClicked !== box) {
      var all = boxes(), a = all.indexOf(lastClicked), b = all.indexOf(box);
      if (a >= 0 && b >= 0) all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (x) { x.checked = box.checked; });
    }
    lastClicked = box;
    sync();
  }

  document.addEventListener("click", function (e) {
    var box = e.target.closest("#asset-grid .tile-check input");
    if (box) { choose(box, e.shiftKey); return; }
    // While selecting, a click on a tile toggles it instead of opening it.
    var tile = e.target.closest("#asset-grid.is-selecting .tile-link");
    if (tile) {
      e.preventDefault();
      var input = tile.parentNode.querySelector(".tile-check input");
      input.checked = !input.checked;
      choose(input, e.shiftKey);
      return;
    }
    if (e.target.closest("[data-select-all]")) {
      var list = boxes(), every = list.every(function (x) { return x.checked; });
      list.forEach(function (x) { x.checked = !every; });
      sync();
      return;
    }
    if (e.target.closest("[data-clear-selection]")) { boxes().forEach(function (x) { x.checked = false; }); sync(); return; }
    if (e.target.closest("[data-reveal]")) { e.target.closest(".detail-media").classList.add("is-revealed"); }
  });
  document.addEventListener("htmx:afterSettle", sync);
  // After filters change in place, bulk actions come back to the page as it is now.
  if (bar) bar.addEventListener("submit", function () {
    bar.querySelector("input[name=next]").value = window.location.pathname + window.location.search;
  });
})();

// Video tiles: moving the pointer across one shows the frame at that point of the video (its scrub
// strip, loaded on first hover), with a thin bar for where that is.
(function () {
  "use strict";

  function frameAt(strip, x, width) {
    var frames = parseInt(strip.dataset.frames, 10);
    return Math.min(frames - 1, Math.max(0, Math.floor((x / width) * frames)));
  }

  function show(strip, index) {
    var tile = strip.parentElement.getBoundingClientRect();
    var frames = parseInt(strip.dataset.frames, 10);
    var fw = parseInt(strip.dataset.frameWidth, 10), fh = parseInt(strip.dataset.frameHeight, 10);
    // Cover the tile like the thumb does: scale a frame to fill it, centred.
    var scale = Math.max(tile.width / fw, tile.height / fh);
    var w = fw * scale, h = fh * scale;
    strip.style.backgroundSize = (w * frames) + "px " + h + "px";
    strip.style.backgroundPosition = (-index * w - (w - tile.width) / 2) + "px " + (-(h - tile.height) / 2) + "px";
    var bar = strip.nextElementSibling && strip.nextElementSibling.classList.contains("tile-scrub-bar") ? strip.nextElementSibling : null;
    if (!bar) {
      bar = document.createElement("span");
      bar.className = "tile-scrub-bar";
      strip.after(bar);
    }
    bar.style.width = ((index + 1) / frames * 100) + "%";
  }

  document.addEventListener("pointermove", function (event) {
    var link = event.target.closest && event.target.closest(".tile-link");
    var strip = link && link.querySelector(".tile-scrub");
    if (!strip) return;
    if (!strip.style.backgroundImage) strip.style.backgroundImage = "url(" + JSON.stringify(strip.dataset.scrub) + ")";
    var box = link.getBoundingClientRect();
    strip.classList.add("is-on");
    show(strip, frameAt(strip, event.clientX - box.left, box.width));
  });
  document.addEventListener("pointerout", function (event) {
    var link = event.target.closest && event.target.closest(".tile-link");
    if (!link || link.contains(event.relatedTarget)) return;
    var strip = link.querySelector(".tile-scrub");
    if (!strip) return;
    strip.classList.remove("is-on");
    var bar = link.querySelector(".tile-scrub-bar");
    if (bar) bar.remove();
  });
})();
