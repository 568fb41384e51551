/* Audio cleanup's waveform (wavesurfer.js, vendored): play the recording and drag across it to
   select the quiet stretch whose noise is measured; the stretch goes into the form. */
(function () {
  "use strict";
  const root = document.querySelector("[data-audio]");
  if (!root || !window.WaveSurfer) return;
  const wave = root.querySelector("[data-audio-wave]");
  const start = root.querySelector("[data-noise-start]");
  const end = root.querySelector("[data-noise-end]");
  const words = root.querySelector("[data-audio-selection]");
  const play = root.querySelector("[data-audio-play]");
  const nonce = (document.querySelector("script[nonce]") || {}).nonce || "";
  const regions = WaveSurfer.Regions.create();
  const surfer = WaveSurfer.create({
    container: wave,
    url: wave.dataset.src,
    height: 96,
    waveColor: "#8b8fa8",
    progressColor: "#5b5bd6",
    cursorColor: "#22222e",
    plugins: [regions],
    cspNonce: nonce,
  });
  const seconds = (x) => Math.round(x * 1000) / 1000;
  function chosen(region) {
    regions.getRegions().forEach((r) => { if (r !== region) r.remove(); });
    start.value = seconds(region.start);
    end.value = seconds(region.end);
    words.textContent = `Quiet stretch: ${start.value}–${end.value} s`;
    const denoise = document.querySelector("input[name=denoise]");
    if (denoise) denoise.checked = true;
  }
  surfer.on("decode", () => {
    wave.dataset.ready = "1";
    regions.enableDragSelection({ color: "rgba(91, 91, 214, 0.2)" });
    if (start.value && end.value) {
      regions.addRegion({ start: parseFloat(start.value), end: parseFloat(end.value), color: "rgba(91, 91, 214, 0.2)" });
    }
  });
  surfer.on("error", () => { words.textContent = "The waveform couldn't be drawn; the cleanup still works without a quiet stretch."; });
  regions.on("region-created", chosen);
  regions.on("region-updated", chosen);
  play.addEventListener("click", () => {
    surfer.playPause();
  });
  surfer.on("play", () => { play.textContent = "Pause"; });
  surfer.on("pause", () => { play.textContent = "Play"; });
  root.querySelector("[data-audio-clear]").addEventListener("click", () => {
    regions.clearRegions();
    start.value = "";
    end.value = "";
    words.textContent = "No quiet stretch selected.";
  });
})();
