// Make video: keeps the form's choices in step (the resolutions of the chosen shape, sound only on
// LTX-2, adult content always written by the prompt generator) and shows the cost before anything
// is charged. The server checks everything again.
(function () {
  "use strict";

  var form = document.querySelector("form[data-video-form]");
  if (!form) return;
  var prices = JSON.parse(document.getElementById("video-prices").textContent);
  var available = parseInt(form.dataset.available, 10);

  function fmt(n) { return n.toLocaleString("en-GB"); }
  function checked(name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function update() {
    var shape = checked("shape") || "16:9";
    var landscape = shape === "16:9";

    // The resolutions of the chosen shape (the others are disabled so they aren't sent).
    form.querySelectorAll("[data-resolutions]").forEach(function (group) {
      var mine = group.dataset.resolutions === shape;
      group.hidden = !mine;
      group.querySelectorAll("input").forEach(function (input) { input.disabled = !mine; });
      if (mine && !group.querySelector("input:checked")) {
        var fallback = group.querySelector('input[value="' + prices.defaults[shape] + '"]');
        if (fallback) fallback.checked = true;
      }
    });
    var resolution = checked("resolution") || prices.defaults[shape];

    // Shape: a clip of the other orientation would crop most of the picture.
    var chosenShape = form.querySelector('input[name="shape"]:checked');
    var problem = chosenShape ? chosenShape.dataset.problem : "";
    var shapeErrors = form.querySelector("[data-shape-errors]");
    shapeErrors.innerHTML = "";
    if (problem) {
      var item = document.createElement("li");
      item.textContent = problem;
      shapeErrors.appendChild(item);
    }
    var frame = document.querySelector("[data-frame-shape]");
    if (frame) frame.dataset.frameShape = shape;

    // Sound: LTX-2 only.
    var audio = form.querySelector("[data-audio]");
    audio.disabled = !landscape;
    if (!landscape) audio.checked = false;
    form.querySelector("[data-audio-note]").textContent = landscape
      ? "LTX-2 makes a sound track to go with the motion."
      : "Wan 2.2 makes no sound: portrait and square clips are silent.";

    // Adult content is always written by the prompt generator.
    var nsfw = form.querySelector("[data-nsfw]");
    var write = form.querySelector("[data-write]");
    if (nsfw && nsfw.checked) write.checked = true;
    write.disabled = Boolean(nsfw && nsfw.checked);
    var writing = write.checked;
    form.querySelector("[data-prompt-label]").textContent = writing ? "Direction for the prompt generator (optional)" : "Motion";
    form.querySelector("[data-prompt-help]").textContent = writing
      ? "The prompt generator describes the motion from the image; anything you write here steers it."
      : "Say what moves and what the camera does. Prompts that mention anyone under 18 are refused.";

    // The cost.
    var seconds = parseInt(checked("seconds") || "6", 10);
    var perSecond = (prices.perSecond[shape] || {})[resolution] || 0;
    var total = seconds * perSecond + (writing ? prices.writer : 0);
    form.querySelector("[data-cost-line]").textContent =
      seconds + " s × " + perSecond + " credits" + (writing ? " + " + prices.writer + " for the prompt generator" : "") + " = " + fmt(total) + " credits";
    var note = form.querySelector("[data-cost-note]");
    var short = total > available;
    note.textContent = short
      ? "This clip needs " + fmt(total) + " credits and you have " + fmt(available) + " available. Choose a shorter clip or a lower resolution, or add credits on the Billing page."
      : "You have " + fmt(available) + " credits available.";
    note.classList.toggle("is-short", short);
    note.classList.toggle("muted", !short);
    var button = form.querySelector("[data-video-submit]");
    button.disabled = short || Boolean(problem);
    form.querySelector("[data-submit-label]").textContent = "Make video · " + fmt(total) + " credits";
  }

  form.addEventListener("change", update);
  form.addEventListener("submit", function () {
    // A disabled switch isn't sent: send the forced "write" as it is shown.
    var write = form.querySelector("[data-write]");
    if (write.disabled && write.checked) write.disabled = false;
  });
  update();
  var errors = form.querySelector("[data-video-errors]");
  if (errors) errors.focus();
})();
