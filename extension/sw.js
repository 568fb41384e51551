// The service worker: every call to the Personae API goes through here (content scripts can't
// fetch across origins). It keeps no state in globals: MV3 stops it when idle, so each event
// reads chrome.storage.
import { API_ORIGIN } from "./config.js";

const API = API_ORIGIN + "/api/v1";
const POLL_MS = 700;
const POLL_LIMIT_MS = 120000;
const MAX_TRIES = 4;

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function settings() {
  return chrome.storage.local.get(["apiKey", "org", "orgSlug", "collectionId"]);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One API call with the stored key (or `key`). A 429 waits for Retry-After and tries again with
// the same Idempotency-Key, so a flood of saves is slowed down, never dropped or doubled.
async function api(path, { method = "GET", body, key, idempotencyKey } = {}) {
  const apiKey = key || (await settings()).apiKey;
  if (!apiKey) throw new ApiError(401, "Not connected. Open the extension and connect it to Personae.");
  const headers = { Authorization: "Bearer " + apiKey, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  for (let attempt = 1; ; attempt++) {
    let response;
    try {
      response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      if (attempt >= MAX_TRIES) throw new ApiError(0, "Personae can't be reached. Check your connection and try again.");
      await sleep(1000 * attempt);
      continue;
    }
    if (response.status === 429 && attempt < MAX_TRIES) {
      const wait = Number(response.headers.get("Retry-After")) || 5;
      await sleep(Math.min(wait, 60) * 1000);
      continue;
    }
    if (response.status === 204) return null;
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = {};
    }
    if (!response.ok) {
      if (response.status === 401) await chrome.storage.local.remove(["apiKey", "org", "orgSlug"]);
      throw new ApiError(response.status, data.detail || "Personae refused the request (" + response.status + ").");
    }
    return data;
  }
}

async function connect(apiKey) {
  const me = await api("/extension/me", { key: apiKey });
  await chrome.storage.local.set({ apiKey, org: me.org, orgSlug: me.org_slug });
  await chrome.action.setBadgeText({ text: "" });
  return { ok: true, org: me.org };
}

async function disconnect() {
  const { apiKey } = await settings();
  await chrome.storage.local.remove(["apiKey", "org", "orgSlug", "collectionId"]);
  if (apiKey) {
    try {
      await api("/extension/disconnect", { method: "POST", key: apiKey });
    } catch (error) {
      // Already revoked or expired: disconnected either way.
    }
  }
  return { ok: true };
}

async function save(media) {
  const { collectionId } = await settings();
  const body = {
    media_url: media.mediaUrl || "",
    page_url: media.pageUrl || "",
    author: media.author || "",
    caption: media.caption || "",
    site: media.site || "web",
  };
  if (collectionId) body.collection = collectionId;
  let item = await api("/assets/import", { method: "POST", body, idempotencyKey: crypto.randomUUID() });
  const started = Date.now();
  while (item.status === "queued" || item.status === "fetching") {
    if (Date.now() - started > POLL_LIMIT_MS) {
      return { ok: true, status: item.status, message: "Still saving; it will appear in your library shortly." };
    }
    await sleep(POLL_MS);
    item = await api("/assets/import/" + item.id);
  }
  if (item.status === "failed") return { ok: false, error: item.error };
  return {
    ok: true,
    status: item.status,
    assetId: item.asset,
    assetUrl: API_ORIGIN + item.asset_url,
    message: item.status === "duplicate" ? "Already in your library." : "Saved to your library.",
  };
}

async function extractStyle(assetId) {
  const job = await api("/assets/" + assetId + "/style", { method: "POST", idempotencyKey: crypto.randomUUID() });
  return { ok: true, url: API_ORIGIN + job.url };
}

async function handle(message) {
  switch (message && message.type) {
    case "personae-connect":
      return connect(message.apiKey);
    case "disconnect":
      return disconnect();
    case "state": {
      const state = await settings();
      return { ok: true, connected: Boolean(state.apiKey), org: state.org || "", collectionId: state.collectionId || "" };
    }
    case "collections":
      return { ok: true, collections: await api("/collections/") };
    case "save-media":
      return save(message);
    case "save-many": {
      const results = [];
      for (const media of message.items || []) results.push(await save(media).catch((error) => ({ ok: false, error: error.message })));
      const saved = results.filter((r) => r.ok).length;
      return { ok: saved > 0, results, message: saved + " of " + results.length + " saved to your library." };
    }
    case "extract-style":
      return extractStyle(message.assetId);
    default:
      return { ok: false, error: "Unknown request." };
  }
}

function reply(promise, sendResponse) {
  promise.then(sendResponse, (error) => sendResponse({ ok: false, error: error.message, status: error.status }));
  return true; // the answer is asynchronous
}

chrome.runtime.onMessage.addListener((message, _sender, sendResponse) => reply(handle(message), sendResponse));

// The app's connect page, when it knows this extension's id (EXTENSION_ID), sends the key here.
chrome.runtime.onMessageExternal.addListener((message, sender, sendResponse) => {
  if (!sender.origin || sender.origin !== API_ORIGIN || !message || message.type !== "personae-connect") {
    sendResponse({ ok: false });
    return false;
  }
  return reply(connect(message.apiKey), sendResponse);
});

// "Save to Personae" on any picture or video of any site. No content script there, so the
// result is shown on the toolbar badge.
async function onMenu(info, tab) {
  await chrome.action.setBadgeText({ text: "…" });
  try {
    const result = await save({ mediaUrl: info.srcUrl, pageUrl: info.pageUrl || (tab && tab.url) || "", site: "web" });
    await chrome.action.setBadgeBackgroundColor({ color: result.ok ? "#15803d" : "#b45309" });
    await chrome.action.setBadgeText({ text: result.ok ? "✓" : "!" });
    await chrome.action.setTitle({ title: result.ok ? result.message : "Not saved: " + result.error });
    return result;
  } catch (error) {
    await chrome.action.setBadgeBackgroundColor({ color: "#b45309" });
    await chrome.action.setBadgeText({ text: "!" });
    await chrome.action.setTitle({ title: "Not saved: " + error.message });
    return { ok: false, error: error.message };
  }
}

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({ id: "personae-save", title: "Save to Personae", contexts: ["image", "video"] });
});
chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId === "personae-save") onMenu(info, tab);
});

// For the browser tests: native context-menu clicks can't be driven.
self.__test = { onMenu, handle };
