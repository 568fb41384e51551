/* Rotoscoping. The range chooser: two handles over the video's frame strip, kept in step with the
   start/end fields; moving one shows that frame in the player; the length and the price (credits
   per started minute) follow, with a warning past the plan's limit. The job page: "Play both
   together" starts the source range and the cut-out at the same time. */
(function () {
  "use strict";

  function chooser(form) {
    const duration = parseFloat(form.dataset.duration) || 0;
    const limit = parseFloat(form.dataset.limit) || duration;
    const perMinute = parseInt(form.dataset.perMinute, 10) || 0;
    const available = parseInt(form.dataset.available, 10) || 0;
    const from = form.querySelector("[data-roto-from]");
    const to = form.querySelector("[data-roto-to]");
    const start = form.querySelector("[data-roto-start]");
    const end = form.querySelector("[data-roto-end]");
    const band = form.querySelector("[data-roto-band]");
    const length = form.querySelector("[data-roto-length]");
    const cost = form.querySelector("[data-roto-cost]");
    const balance = form.querySelector("[data-roto-balance]");
    const warn = form.querySelector("[data-roto-warn]");
    const submit = form.querySelector("[data-roto-submit]");
    const video = form.querySelector("[data-roto-video]");
    const timeline = form.querySelector("[data-roto-timeline]");
    if (timeline && timeline.dataset.strip) timeline.style.backgroundImage = `url("${timeline.dataset.strip}")`;

    const round = (x) => Math.round(x * 100) / 100;
    const clamp = (x) => Math.min(duration, Math.max(0, isFinite(x) ? x : 0));
    const words = (s) => (s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

    function show(a, b) {
      const seconds = Math.max(0, b - a);
      const credits = perMinute * Math.max(1, Math.ceil(round(seconds) / 60));
      if (band && duration) {
        band.style.left = `${(a / duration) * 100}%`;
        band.style.width = `${(seconds / duration) * 100}%`;
        band.classList.toggle("is-over", seconds > limit + 0.05);
      }
      length.textContent = words(seconds);
      cost.textContent = `${credits} credits`;
      let problem = "";
      if (seconds < 0.5) problem = "Choose a range of at least 0.5 s: the end must come after the start.";
      else if (seconds > limit + 0.05) problem = `Your plan rotoscopes up to ${words(limit)} at a time: shorten the range.`;
      warn.hidden = !problem;
      warn.textContent = problem;
      submit.disabled = Boolean(problem);
      submit.textContent = `Rotoscope this range (${credits} credits)`;
      if (balance) {
        const short = available < credits;
        balance.classList.toggle("is-short", short);
        balance.classList.toggle("muted", !short);
        balance.textContent = `You have ${available} available${short ? ": top up on the Billing page first" : ""}.`;
      }
    }

    function seek(at) {
      if (video && video.readyState >= 1) {
        video.pause();
        video.currentTime = at;
      }
    }

    function fromHandles(moved) {
      let a = parseFloat(from.value);
      let b = parseFloat(to.value);
      if (a > b) {
        if (moved === from) a = b;
        else b = a;
        from.value = a;
        to.value = b;
      }
      start.value = round(a);
      end.value = round(b);
      show(a, b);
      seek(moved === from ? a : b);
    }

    function fromFields(moved) {
      let a = clamp(parseFloat(start.value));
      let b = clamp(parseFloat(end.value));
      from.value = a;
      to.value = b;
      show(a, b);
      seek(moved === start ? a : b);
    }

    from.addEventListener("input", () => fromHandles(from));
    to.addEventListener("input", () => fromHandles(to));
    start.addEventListener("input", () => fromFields(start));
    end.addEventListener("input", () => fromFields(end));
    if (video) {
      // Played from the start handle, the player stops at the end handle.
      video.addEventListener("timeupdate", () => {
        const b = parseFloat(end.value);
        if (!video.paused && video.currentTime >= b) video.pause();
      });
      video.addEventListener("play", () => {
        const a = parseFloat(start.value);
        const b = parseFloat(end.value);
        if (video.currentTime < a - 0.05 || video.currentTime >= b) video.currentTime = a;
      });
    }
    fromFields(start);
  }

  function compare(root) {
    const button = document.querySelector("[data-roto-play-both]");
    const before = root.querySelector("[data-before]");
    const after = root.querySelector("[data-after]");
    if (!button || !before || !after || root.dataset.wired) return;
    root.dataset.wired = "1";
    const startAt = parseFloat(before.dataset.start) || 0;
    const endAt = parseFloat(before.dataset.end) || 0;
    before.addEventListener("timeupdate", () => {
      if (!before.paused && endAt && before.currentTime >= endAt) before.pause();
    });
    button.addEventListener("click", () => {
      before.currentTime = startAt;
      after.currentTime = 0;
      before.play().catch(() => {});
      after.play().catch(() => {});
    });
  }

  function init() {
    const form = document.querySelector("[data-roto]");
    if (form) chooser(form);
    const pair = document.querySelector("[data-roto-compare]");
    if (pair) compare(pair);
  }

  document.addEventListener("DOMContentLoaded", init);
  // The pair is replaced when the job ends (htmx out-of-band swap): wire the new one.
  document.addEventListener("htmx:afterSettle", () => {
    const pair = document.querySelector("[data-roto-compare]");
    if (pair) compare(pair);
  });
})();
