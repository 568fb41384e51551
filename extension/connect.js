// On the app's connect page: take the key the page hands over (window.postMessage) to the
// service worker, and tell the page when the extension is connected.
window.addEventListener("message", (event) => {
  if (event.source !== window || event.origin !== location.origin) return;
  const data = event.data || {};
  if (data.source !== "personae-page" || !data.message || data.message.type !== "personae-connect") return;
  chrome.runtime.sendMessage(data.message, (reply) => {
    if (chrome.runtime.lastError || !reply) return;
    window.postMessage(
      { source: "personae-extension", type: reply.ok ? "connected" : "failed", error: reply.error || "" },
      location.origin,
    );
  });
});
