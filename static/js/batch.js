// The library's batch sidebar: opens the drawer with the panel for the current selection, and keeps the
// panel's switches and live credit cost in step with the choices. The server checks everything again.
(function () {
  "use strict";

  var drawer = document.getElementById("batch-drawer");
  if (!drawer) return;
  var loading = drawer.innerHTML; // the panel's "Loading…" state, shown again each time it opens

  var PROBLEMS = {
    403: "Viewers can look but not generate. Ask an admin to make you a member.",
    404: "Something in this selection is no longer in the library, or the character was deleted. Close this panel, reload the page and select again.",
  };

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function fmt(n) { return n.toLocaleString("en-GB"); }

  function say(problem) {
    var box = drawer.querySelector("[data-batch-problem]");
    if (!box) return;
    box.textContent = problem;
    box.hidden = false;
  }

  // ---------------------------------------------------------------- Opening and closing
  function open(button) {
    var ids = document.querySelector("#bulk-bar input[name=ids]").value;
    drawer.innerHTML = loading;
    if (button.dataset.batchTitle) drawer.querySelector("#batch-title").textContent = button.dataset.batchTitle;
    drawer.showModal();
    window.htmx.ajax("POST", button.dataset.batchOpen, { target: "#batch-panel", swap: "outerHTML", values: { ids: ids } });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-batch-open]");
    if (button) { event.preventDefault(); open(button); return; }
    // A click on the backdrop (outside the panel) closes the drawer, like Escape does.
    if (event.target === drawer) drawer.close();
  });
  drawer.addEventListener("close", function () { drawer.innerHTML = loading; });

  // A refused submit (400) is the panel with its errors: show it. Anything else says what happened.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "batch-panel") return;
    var status = event.detail.xhr.status;
    if (status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (status >= 400) {
      say(PROBLEMS[status] || "Something went wrong on our side. Try again in a moment.");
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (drawer.contains(event.detail.elt) || (event.detail.target && event.detail.target.id === "batch-panel")) {
      say("Network problem — check your connection and try again.");
    }
  });
  // Each panel as it arrives: its state, then focus on its errors (so they are read out) or its title.
  document.addEventListener("htmx:afterSettle", function () {
    var form = drawer.querySelector("form[data-batch]");
    if (!form || !drawer.open || form.dataset.ready) return;
    form.dataset.ready = "1";
    update(form);
    var focus = form.querySelector("[data-batch-errors]") ||
      form.querySelector(".has-error input:not([type=hidden]):not(:disabled)") || form.querySelector("#batch-title");
    if (focus) focus.focus();
  });

  // ---------------------------------------------------------------- The panel's state
  function checked(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function update(form) {
    var chosen = form.querySelector('input[name="character"]:checked');
    var name = chosen ? chosen.dataset.name : "";
    var faceSwap = chosen && chosen.dataset.mode === "face_swap";

    // Prompt generator: locked on for face-swap characters (they can't repaint a reference).
    var writer = form.querySelector('input[type="checkbox"][name="use_prompt_writer"]');
    var forced = form.querySelector("[data-writer-forced]");
    if (faceSwap) writer.checked = true;
    writer.disabled = faceSwap;
    forced.disabled = !faceSwap;
    var describe = writer.checked;
    var note = form.querySelector("[data-writer-note]");
    if (faceSwap) {
      note.textContent = name + " is in face-swap mode, which can't repaint an image directly, so the generator stays on: each image is described, then made with " + name + "'s face.";
    } else if (!describe) {
      note.textContent = "Off: each image is repainted straight from the reference with " + (name ? name + "'s" : "the character's") + " face model (image-to-image), keeping its pose, framing and light.";
    }
    note.hidden = !(faceSwap || !describe);

    // Adult content: only with the generator on, for a character allowed it.
    var row = form.querySelector("[data-nsfw-row]");
    var why = form.querySelector("[data-nsfw-reason]");
    var allowed = Boolean(chosen) && chosen.dataset.nsfw === "1" && describe;
    row.hidden = !allowed;
    row.querySelector("input").disabled = !allowed;
    why.hidden = allowed;
    if (!chosen) why.textContent = "Choose a character to see whether adult content is allowed.";
    else if (chosen.dataset.nsfw !== "1") why.textContent = chosen.dataset.nsfwWhy;
    else why.textContent = "Adult content is written by the prompt generator: switch it on to use it.";

    // Clothing: the chosen file's name, or the photo kept from a refused submit.
    var file = form.querySelector('input[type="file"][name="clothing"]');
    var drop = form.querySelector("[data-clothing-drop]");
    var picked = file.files && file.files.length ? file.files[0].name : "";
    var kept = form.querySelector("[data-kept-clothing]");
    drop.classList.toggle("has-file", Boolean(picked));
    form.querySelector("[data-clothing-name]").textContent = picked || (kept ? "Use another photo" : "Upload a clothing photo");
    form.querySelector("[data-clothing-clear]").hidden = !picked;
    var clothing = Boolean(picked || kept);

    // A video of each image (the video app's switch), when it's on: its length's price on top.
    var video = form.querySelector("[data-also-video]");
    var videoPrice = 0;
    if (video) {
      form.querySelector("[data-video-seconds]").hidden = !video.checked;
      if (video.checked) {
        var videoPrices = JSON.parse(document.getElementById("batch-video-prices").textContent);
        videoPrice = videoPrices[checked(form, "video_seconds") || "6"];
      }
    }

    // The live cost.
    var prices = JSON.parse(document.getElementById("batch-prices").textContent);
    var quality = checked(form, "quality") || "draft";
    var perImage = prices[quality + "|" + (clothing ? 1 : 0) + "|" + (describe ? 1 : 0)] + videoPrice;
    var count = parseInt(form.dataset.count, 10);
    var total = perImage * count;
    var available = parseInt(form.dataset.available, 10);
    var line = form.querySelector("[data-cost-line]");
    var costNote = form.querySelector("[data-cost-note]");
    var button = form.querySelector("[data-batch-submit]");
    line.textContent = plural(count, "image", "images") + " · " + plural(total, "credit", "credits");
    var short = total > available;
    if (short) {
      var ways = [];
      if (quality === "hq") ways.push("choose draft quality");
      if (clothing) ways.push("leave the clothes as they are");
      if (describe && !faceSwap) ways.push("switch the prompt generator off");
      if (videoPrice) ways.push("leave the videos out");
      if (count > 1) ways.push("select fewer images");
      ways = ways.slice(0, 2);
      ways.push("add credits on the Billing page");
      var last = ways.pop();
      var advice = (ways.length ? ways.join(", ") + " or " : "") + last;
      costNote.textContent = plural(count, "image needs ", "images need ") + fmt(total) + " credits and you have " + fmt(available) +
        " available. " + advice.charAt(0).toUpperCase() + advice.slice(1) + ".";
    } else {
      costNote.textContent = plural(perImage, "credit", "credits") + " an image · " + fmt(available) + " available · charged only for images that arrive";
    }
    costNote.classList.toggle("is-short", short);
    costNote.classList.toggle("muted", !short);
    if (!button.hasAttribute("data-blocked")) button.disabled = short;
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-batch]");
    if (form) update(form);
  });
  document.addEventListener("click", function (event) {
    var form = event.target.closest("form[data-batch]");
    if (!form) return;
    if (event.target.closest("[data-clothing-clear]")) {
      form.querySelector('input[type="file"][name="clothing"]').value = "";
      update(form);
    } else if (event.target.closest("[data-kept-remove]")) {
      form.querySelector("[data-kept-clothing]").remove();
      update(form);
    }
  });
})();
