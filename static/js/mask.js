// The inpaint page's mask: paint over the image with a brush, erase, undo, clear. The canvas has
// the source's natural pixel size (its width/height attributes) while CSS shows it scaled over
// the preview, so the mask sent is exactly as large as the original. On submit it is exported as
// a black (keep) and white (change) PNG and sent as the form's file field "mask".
(function () {
  "use strict";

  var form = document.querySelector("[data-mask-form]");
  if (!form) return;
  var stage = form.querySelector("[data-mask-stage]");
  var canvas = form.querySelector("[data-mask-canvas]");
  var ctx = canvas.getContext("2d");
  var cursor = form.querySelector("[data-mask-cursor]");
  var sizeInput = form.querySelector("[data-brush-size]");
  var sizeOutput = form.querySelector("[data-brush-size-value]");
  var undoButton = form.querySelector("[data-mask-undo]");
  var clearButton = form.querySelector("[data-mask-clear]");
  var coverageText = form.querySelector("[data-mask-coverage]");
  var maskError = form.querySelector("[data-mask-error]");
  var prompt = form.querySelector("[data-prompt]");
  var promptError = form.querySelector("[data-prompt-error]");
  var fileInput = form.querySelector("[data-mask-file]");
  var submitButton = form.querySelector("[data-mask-submit]");

  var PAINT = "rgb(109, 74, 255)";
  var EMPTY_MASK = "Paint over the part you want to change.";
  var EMPTY_PROMPT = "Describe the change you want, for example “add a nano banana on the table”.";

  var tool = "brush";
  var ops = []; // what was done, in order: strokes, and clears; undo drops the last
  var base = null; // a mask brought back (after a refused submit, or from an earlier job)
  var stroke = null;
  var coverage = 0;

  // --- Coordinates: the pointer in the canvas's own (natural) pixels -------------------------------
  function scale() {
    var rect = canvas.getBoundingClientRect();
    return rect.width ? canvas.width / rect.width : 1;
  }
  function point(event) {
    var rect = canvas.getBoundingClientRect();
    var s = scale();
    return { x: (event.clientX - rect.left) * s, y: (event.clientY - rect.top) * s };
  }
  function brushWidth() { return Number(sizeInput.value) * scale(); }

  // --- Drawing ---------------------------------------------------------------------------------------
  function dab(op, from, to) {
    ctx.globalCompositeOperation = op.tool === "eraser" ? "destination-out" : "source-over";
    ctx.strokeStyle = PAINT;
    ctx.fillStyle = PAINT;
    ctx.lineWidth = op.width;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (!from || (from.x === to.x && from.y === to.y)) {
      ctx.beginPath();
      ctx.arc(to.x, to.y, op.width / 2, 0, Math.PI * 2);
      ctx.fill();
    } else {
      ctx.beginPath();
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    }
    ctx.globalCompositeOperation = "source-over";
  }

  function replay() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (base) ctx.drawImage(base, 0, 0);
    ops.forEach(function (op) {
      if (op.clear) { ctx.clearRect(0, 0, canvas.width, canvas.height); return; }
      op.points.forEach(function (p, i) { dab(op, op.points[i - 1], p); });
    });
  }

  function changed() {
    undoButton.disabled = ops.length === 0;
    measure();
    clearButton.disabled = coverage === 0;
  }

  // The share of the image painted, measured on a small copy (cheap on a 12 MP canvas).
  function measure() {
    var w = Math.max(1, Math.min(240, canvas.width));
    var h = Math.max(1, Math.round(canvas.height * w / canvas.width));
    var small = document.createElement("canvas");
    small.width = w;
    small.height = h;
    var sctx = small.getContext("2d");
    sctx.drawImage(canvas, 0, 0, w, h);
    var data = sctx.getImageData(0, 0, w, h).data;
    var painted = 0;
    for (var i = 3; i < data.length; i += 4) if (data[i] > 127) painted++;
    coverage = painted / (w * h) * 100;
    if (coverage === 0) {
      coverageText.textContent = "Nothing painted yet.";
    } else {
      coverageText.textContent = "Painted: " + (coverage < 1 ? "under 1" : Math.round(coverage)) + "% of the image.";
      showError(maskError, "");
      stage.classList.remove("has-error");
    }
  }

  // --- Pointer ---------------------------------------------------------------------------------------
  canvas.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || form.dataset.submitted) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    stroke = { tool: tool, width: brushWidth(), points: [point(event)] };
    dab(stroke, null, stroke.points[0]);
  });
  canvas.addEventListener("pointermove", function (event) {
    moveCursor(event);
    if (!stroke) return;
    var p = point(event);
    var last = stroke.points[stroke.points.length - 1];
    if (Math.abs(p.x - last.x) + Math.abs(p.y - last.y) < 1) return;
    stroke.points.push(p);
    dab(stroke, last, p);
  });
  function endStroke() {
    if (!stroke) return;
    ops.push(stroke);
    stroke = null;
    changed();
  }
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  canvas.addEventListener("pointerleave", function () { cursor.hidden = true; });

  function moveCursor(event) {
    if (event.pointerType === "touch") { cursor.hidden = true; return; }
    var rect = stage.getBoundingClientRect();
    var size = Number(sizeInput.value);
    cursor.hidden = false;
    cursor.style.width = cursor.style.height = size + "px";
    cursor.style.transform = "translate(" + (event.clientX - rect.left - size / 2) + "px," + (event.clientY - rect.top - size / 2) + "px)";
    cursor.classList.toggle("is-eraser", tool === "eraser");
  }

  prompt.addEventListener("input", function () {
    if (!prompt.value.trim()) return;
    showError(promptError, "");
    prompt.closest(".field").classList.remove("has-error");
  });

  // --- Tools -----------------------------------------------------------------------------------------
  function setTool(name) {
    tool = name;
    form.querySelectorAll("[data-tool]").forEach(function (b) {
      var on = b.dataset.tool === name;
      b.classList.toggle("is-on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  form.querySelectorAll("[data-tool]").forEach(function (b) {
    b.addEventListener("click", function () { setTool(b.dataset.tool); });
  });
  function showSize() { sizeOutput.textContent = sizeInput.value + " px"; }
  sizeInput.addEventListener("input", showSize);
  undoButton.addEventListener("click", function () { ops.pop(); replay(); changed(); });
  clearButton.addEventListener("click", function () { ops.push({ clear: true }); replay(); changed(); });
  document.addEventListener("keydown", function (event) {
    if (event.target.closest("textarea, input")) return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && ops.length) {
      event.preventDefault();
      undoButton.click();
    } else if (event.key === "b") setTool("brush");
    else if (event.key === "e") setTool("eraser");
    else if (event.key === "[" || event.key === "]") {
      sizeInput.value = Number(sizeInput.value) + (event.key === "]" ? 8 : -8);
      showSize();
    }
  });

  // --- A mask brought back: white becomes paint ------------------------------------------------------
  if (canvas.dataset.maskSrc) {
    var img = new Image();
    img.onload = function () {
      var layer = document.createElement("canvas");
      layer.width = canvas.width;
      layer.height = canvas.height;
      var lctx = layer.getContext("2d");
      lctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      var pixels = lctx.getImageData(0, 0, layer.width, layer.height);
      var d = pixels.data;
      for (var i = 0; i < d.length; i += 4) {
        var on = d[i] >= 128 && d[i + 3] >= 128;
        d[i] = 109; d[i + 1] = 74; d[i + 2] = 255; d[i + 3] = on ? 255 : 0;
      }
      lctx.putImageData(pixels, 0, 0);
      base = layer;
      replay();
      changed();
    };
    img.src = canvas.dataset.maskSrc;
  }

  // --- Submitting ------------------------------------------------------------------------------------
  function showError(list, message) {
    list.textContent = "";
    if (!message) return;
    var li = document.createElement("li");
    li.textContent = message;
    list.appendChild(li);
  }

  // Black where the image stays, white where it changes, at the canvas's natural size.
  function exportMask(done) {
    var white = document.createElement("canvas");
    white.width = canvas.width;
    white.height = canvas.height;
    var wctx = white.getContext("2d");
    wctx.drawImage(canvas, 0, 0);
    wctx.globalCompositeOperation = "source-in";
    wctx.fillStyle = "#fff";
    wctx.fillRect(0, 0, white.width, white.height);
    var out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    var octx = out.getContext("2d");
    octx.fillStyle = "#000";
    octx.fillRect(0, 0, out.width, out.height);
    octx.drawImage(white, 0, 0);
    out.toBlob(done, "image/png");
  }

  function busy(on) {
    if (!submitButton) return;
    submitButton.classList.toggle("is-busy", on);
    submitButton.setAttribute("aria-disabled", on ? "true" : "false");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (form.dataset.submitted || !submitButton) return;
    var emptyMask = coverage === 0;
    var emptyPrompt = !prompt.value.trim();
    showError(maskError, emptyMask ? EMPTY_MASK : "");
    stage.classList.toggle("has-error", emptyMask);
    showError(promptError, emptyPrompt ? EMPTY_PROMPT : "");
    prompt.closest(".field").classList.toggle("has-error", emptyPrompt);
    if (emptyMask || emptyPrompt) {
      (emptyMask ? canvas : prompt).focus();
      return;
    }
    form.dataset.submitted = "1";
    busy(true);
    exportMask(function (blob) {
      if (!blob) {
        delete form.dataset.submitted;
        busy(false);
        showError(maskError, "Your browser couldn't save the mask. Try again, or reload the page.");
        return;
      }
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], "mask.png", { type: "image/png" }));
      fileInput.files = transfer.files;
      form.submit();
    });
  });

  // Back from the job page (the browser's page cache): a fresh form, with a fresh one-time key.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    delete form.dataset.submitted;
    busy(false);
    var key = form.querySelector("input[name=key]");
    if (key && window.crypto && crypto.randomUUID) key.value = crypto.randomUUID();
  });

  canvas.tabIndex = 0;
  showSize();
  form.dataset.ready = "true"; // the brush listens from here on
})();
