// The extension's connect page: hand the new key to the Style Extractor without copy-paste.
// Two ways, whichever answers: the extension's content script on this page (window.postMessage),
// or, when the published extension's id is configured, chrome.runtime.sendMessage to it.
(function () {
  "use strict";
  var data = document.getElementById("extension-handover");
  var status = document.getElementById("connect-status");
  if (!data || !status) return;
  var handover = JSON.parse(data.textContent);
  var message = { type: "personae-connect", apiKey: handover.apiKey, org: handover.org, orgSlug: handover.orgSlug, api: handover.api };
  var done = false;

  function show(state, text) {
    status.setAttribute("data-state", state);
    status.className = "alert " + (state === "connected" ? "alert-success" : state === "failed" ? "alert-warning" : "");
    status.querySelector("[data-connect-message]").textContent = text;
  }

  function connected() {
    if (done) return;
    done = true;
    show("connected", "Connected: the extension saves to " + handover.org + ". You can close this tab.");
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window || event.origin !== window.location.origin) return;
    var reply = event.data || {};
    if (reply.source === "personae-extension" && reply.type === "connected") connected();
  });
  window.postMessage({ source: "personae-page", message: message }, window.location.origin);

  if (handover.extensionId && window.chrome && window.chrome.runtime && window.chrome.runtime.sendMessage) {
    try {
      window.chrome.runtime.sendMessage(handover.extensionId, message, function (reply) {
        if (reply && reply.ok) connected();
      });
    } catch (error) { /* not installed: the fallback below says what to do */ }
  }

  window.setTimeout(function () {
    if (done) return;
    show("failed", "The extension didn't answer. Is it installed and enabled in this browser? Paste the key below instead.");
    document.getElementById("paste-key").open = true;
  }, 4000);
})();
