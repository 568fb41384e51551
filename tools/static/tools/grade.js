/* Colour grading's live preview: the same maths as tools/luts.py (sliders, then the look's 3D LUT,
   sampled trilinearly), baked into one 33³ table and run over the preview's pixels on a canvas.
   Undo / redo (buttons, Ctrl+Z / Ctrl+Shift+Z) walk the history of settings. */
(function () {
  "use strict";
  const root = document.querySelector("[data-grade]");
  if (!root) return;
  const form = document.querySelector("[data-grade-form]");
  const source = root.querySelector("[data-grade-source]");
  const canvas = root.querySelector("[data-grade-canvas]");
  const split = root.querySelector("[data-grade-split]");
  const status = root.querySelector("[data-grade-status]");
  const undoButton = root.querySelector("[data-grade-undo]");
  const redoButton = root.querySelector("[data-grade-redo]");
  const sliders = Array.from(form.querySelectorAll("[data-grade-slider]"));
  const looks = Array.from(form.querySelectorAll("input[name=look]"));
  const GRID = 33;
  const MAX_SIDE = 960;
  const cubes = new Map();
  let pixels = null; // the preview's original pixels
  let history = [];
  let at = -1;

  function parseCube(text) {
    let size = 0;
    const rows = [];
    let min = [0, 0, 0];
    let max = [1, 1, 1];
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.split("#")[0].trim();
      if (!line) continue;
      const parts = line.split(/\s+/);
      const word = parts[0].toUpperCase();
      if (word === "LUT_3D_SIZE") size = parseInt(parts[1], 10);
      else if (word === "DOMAIN_MIN") min = parts.slice(1, 4).map(Number);
      else if (word === "DOMAIN_MAX") max = parts.slice(1, 4).map(Number);
      else if (/^[-+.\d]/.test(word)) rows.push(parts.slice(0, 3).map(Number));
    }
    const data = new Float32Array(rows.length * 3);
    rows.forEach((row, i) => data.set(row, i * 3));
    return { size, data, min, max };
  }

  function loadLook(url) {
    if (!url) return Promise.resolve(null);
    if (!cubes.has(url)) {
      cubes.set(url, fetch(url, { credentials: "same-origin" }).then((r) => {
        if (!r.ok) throw new Error("LUT " + r.status);
        return r.text();
      }).then(parseCube));
    }
    return cubes.get(url);
  }

  const toLinear = (x) => (x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
  const toSrgb = (x) => {
    x = Math.min(1, Math.max(0, x));
    return x <= 0.0031308 ? x * 12.92 : 1.055 * Math.pow(x, 1 / 2.4) - 0.055;
  };
  const clamp = (x) => Math.min(1, Math.max(0, x));

  function adjust(rgb, s) {
    const gain = Math.pow(2, s.exposure);
    const warm = s.temperature / 100;
    const tint = s.tint / 100;
    const k = [1 + 0.25 * warm, 1 - 0.25 * tint, 1 - 0.25 * warm];
    let out = rgb.map((c, i) => toSrgb(toLinear(clamp(c)) * gain * k[i]));
    out = out.map((c) => (c - 0.5) * (1 + s.contrast / 100) + 0.5);
    const luma = out[0] * 0.2126 + out[1] * 0.7152 + out[2] * 0.0722;
    return out.map((c) => clamp(luma + (c - luma) * (1 + s.saturation / 100)));
  }

  function sample(cube, rgb, out, o) {
    const n = cube.size;
    const d = cube.data;
    const p = [0, 1, 2].map((i) => clamp((rgb[i] - cube.min[i]) / (cube.max[i] - cube.min[i])) * (n - 1));
    const i0 = p.map((v) => Math.min(Math.floor(v), n - 2));
    const f = p.map((v, i) => v - i0[i]);
    for (let c = 0; c < 3; c++) {
      const at3 = (db, dg, dr) => d[((i0[2] + db) * n * n + (i0[1] + dg) * n + (i0[0] + dr)) * 3 + c];
      const c00 = at3(0, 0, 0) * (1 - f[0]) + at3(0, 0, 1) * f[0];
      const c01 = at3(0, 1, 0) * (1 - f[0]) + at3(0, 1, 1) * f[0];
      const c10 = at3(1, 0, 0) * (1 - f[0]) + at3(1, 0, 1) * f[0];
      const c11 = at3(1, 1, 0) * (1 - f[0]) + at3(1, 1, 1) * f[0];
      const c0 = c00 * (1 - f[1]) + c01 * f[1];
      const c1 = c10 * (1 - f[1]) + c11 * f[1];
      out[o + c] = clamp(c0 * (1 - f[2]) + c1 * f[2]);
    }
  }

  function bake(look, s) {
    const data = new Float32Array(GRID * GRID * GRID * 3);
    let o = 0;
    for (let b = 0; b < GRID; b++) {
      for (let g = 0; g < GRID; g++) {
        for (let r = 0; r < GRID; r++, o += 3) {
          const rgb = adjust([r / (GRID - 1), g / (GRID - 1), b / (GRID - 1)], s);
          if (look) sample(look, rgb, data, o);
          else data.set(rgb, o);
        }
      }
    }
    return { size: GRID, data, min: [0, 0, 0], max: [1, 1, 1] };
  }

  function settings() {
    const s = { look: (looks.find((l) => l.checked) || {}).value || "" };
    for (const slider of sliders) s[slider.name] = parseFloat(slider.value) || 0;
    return s;
  }

  function show(s) {
    looks.forEach((l) => { l.checked = l.value === s.look; });
    for (const slider of sliders) {
      slider.value = s[slider.name];
      const out = form.querySelector(`[data-grade-out="${slider.name}"]`);
      if (out) out.textContent = slider.value;
    }
  }

  let pending = 0;
  function render() {
    if (!pixels) return;
    const s = settings();
    const ticket = ++pending;
    const chosen = looks.find((l) => l.checked);
    status.textContent = "Previewing…";
    loadLook(chosen ? chosen.dataset.lutUrl : "").then((look) => {
      if (ticket !== pending) return;
      const table = bake(look, s);
      const image = new ImageData(new Uint8ClampedArray(pixels.data), pixels.width, pixels.height);
      const px = image.data;
      const rgb = new Float32Array(3);
      for (let i = 0; i < px.length; i += 4) {
        sample(table, [px[i] / 255, px[i + 1] / 255, px[i + 2] / 255], rgb, 0);
        px[i] = rgb[0] * 255 + 0.5;
        px[i + 1] = rgb[1] * 255 + 0.5;
        px[i + 2] = rgb[2] * 255 + 0.5;
      }
      canvas.getContext("2d").putImageData(image, 0, 0);
      root.dataset.gradeReady = "1";
      status.textContent = "";
    }).catch(() => { status.textContent = "The look couldn't be loaded for the preview; the grade itself still works."; });
  }

  function record() {
    const s = settings();
    if (at >= 0 && JSON.stringify(history[at]) === JSON.stringify(s)) return;
    history = history.slice(0, at + 1);
    history.push(s);
    at = history.length - 1;
    buttons();
  }
  function buttons() {
    undoButton.disabled = at <= 0;
    redoButton.disabled = at >= history.length - 1;
  }
  function go(to) {
    if (to < 0 || to >= history.length) return;
    at = to;
    show(history[at]);
    buttons();
    render();
  }

  function start() {
    const scale = Math.min(1, MAX_SIDE / Math.max(source.naturalWidth, source.naturalHeight));
    canvas.width = Math.max(1, Math.round(source.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(source.naturalHeight * scale));
    const scratch = document.createElement("canvas");
    scratch.width = canvas.width;
    scratch.height = canvas.height;
    const context = scratch.getContext("2d");
    context.drawImage(source, 0, 0, scratch.width, scratch.height);
    pixels = context.getImageData(0, 0, scratch.width, scratch.height);
    record();
    render();
  }

  sliders.forEach((slider) => {
    slider.addEventListener("input", () => {
      const out = form.querySelector(`[data-grade-out="${slider.name}"]`);
      if (out) out.textContent = slider.value;
      render();
    });
    slider.addEventListener("change", record);
  });
  looks.forEach((l) => l.addEventListener("change", () => { record(); render(); }));
  undoButton.addEventListener("click", () => go(at - 1));
  redoButton.addEventListener("click", () => go(at + 1));
  root.querySelector("[data-grade-reset]").addEventListener("click", () => {
    show({ look: "", exposure: 0, contrast: 0, saturation: 0, temperature: 0, tint: 0 });
    record();
    render();
  });
  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z") return;
    if (event.target.closest("input[type=file], textarea")) return;
    event.preventDefault();
    go(event.shiftKey ? at + 1 : at - 1);
  });
  split.addEventListener("input", () => { canvas.style.clipPath = `inset(0 0 0 ${split.value}%)`; });
  canvas.style.clipPath = `inset(0 0 0 ${split.value}%)`;
  if (source.complete && source.naturalWidth) start();
  else source.addEventListener("load", start, { once: true });
})();
