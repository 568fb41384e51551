// The popup: connect (or paste a key), pick the collection saves go into (remembered), upload
// local files by drag and drop, disconnect.
import { API_ORIGIN } from "./config.js";

const $ = (id) => document.getElementById(id);
const send = (message) => chrome.runtime.sendMessage(message);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function say(text) {
  $("message").textContent = text || "";
}

async function render() {
  $("version").textContent = "v" + chrome.runtime.getManifest().version;
  const state = await send({ type: "state" });
  $("signed-out").hidden = state.connected;
  $("signed-in").hidden = !state.connected;
  if (!state.connected) return;
  $("org").textContent = state.org;
  const { orgSlug } = await chrome.storage.local.get("orgSlug");
  $("library").href = API_ORIGIN + "/o/" + orgSlug + "/library/";
  const reply = await send({ type: "collections" });
  if (!reply.ok) {
    say(reply.error);
    if (reply.status === 401) render();
    return;
  }
  const select = $("collection");
  select.length = 1;
  for (const c of reply.collections) select.add(new Option(c.name, c.id, false, c.id === state.collectionId));
}

$("connect").addEventListener("click", () => chrome.tabs.create({ url: API_ORIGIN + "/extension/connect/" }));

$("save-key").addEventListener("click", async () => {
  const key = $("key").value.trim();
  if (!key) return say("Paste the key from the connect page first.");
  const reply = await send({ type: "personae-connect", apiKey: key });
  if (!reply.ok) return say(reply.error || "That key doesn't work. Connect again to get a new one.");
  $("key").value = "";
  say("");
  render();
});

$("collection").addEventListener("change", (event) => chrome.storage.local.set({ collectionId: event.target.value }));

$("disconnect").addEventListener("click", async () => {
  await send({ type: "disconnect" });
  say("Disconnected: its key is revoked.");
  render();
});

// --- Local files, straight to the library ------------------------------------------------------

async function apiFetch(path, init = {}) {
  const { apiKey } = await chrome.storage.local.get("apiKey");
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(API_ORIGIN + "/api/v1" + path, {
      ...init,
      headers: { ...(init.headers || {}), Authorization: "Bearer " + apiKey },
    });
    if (response.status === 429 && attempt < 4) {
      await sleep((Number(response.headers.get("Retry-After")) || 5) * 1000);
      continue;
    }
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || "Personae refused the file (" + response.status + ").");
    return data;
  }
}

async function uploadOne(file, collectionId) {
  const row = document.createElement("li");
  row.textContent = file.name + ": uploading…";
  $("uploads").appendChild(row);
  try {
    const form = new FormData();
    // The bytes, not the File handle: a copy in memory is sent the same way by every Chromium
    // (a File-backed body can't be replayed by request interception, as the browser tests do).
    form.append("file", new Blob([await file.arrayBuffer()], { type: file.type }), file.name);
    let upload = await apiFetch("/assets/", { method: "POST", body: form });
    const started = Date.now();
    while (["pending", "received", "processing"].includes(upload.status) && Date.now() - started < 120000) {
      await sleep(700);
      upload = await apiFetch("/uploads/" + upload.id);
    }
    if (upload.status === "failed" || upload.status === "cancelled") throw new Error(upload.error || "Refused.");
    if (upload.asset && collectionId) {
      await apiFetch("/assets/" + upload.asset, {
        method: "PATCH",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ add_to_collections: [collectionId] }),
      });
    }
    row.dataset.status = upload.status;
    row.textContent = file.name + ": " + (upload.status === "duplicate" ? "already in your library" : upload.asset ? "added" : "processing");
  } catch (error) {
    row.dataset.status = "failed";
    row.textContent = file.name + ": " + error.message;
  }
}

async function uploadAll(files) {
  const collectionId = $("collection").value;
  for (const file of files) await uploadOne(file, collectionId);
}

$("upload").addEventListener("click", () => {
  const files = [...$("files").files];
  if (!files.length) return say("Choose or drop some pictures or videos first.");
  say("");
  uploadAll(files).then(() => ($("files").value = ""));
});

const drop = $("drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  uploadAll([...event.dataTransfer.files]);
});

render();
