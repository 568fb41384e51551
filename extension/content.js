// Save buttons on Pinterest pins and Instagram posts (single pictures, each carousel slide or the
// whole carousel, videos and reels). Never selects by class name (both sites hash them); scans
// <img>/<video> by size and rescans as the infinite scroll adds more.
(() => {
  "use strict";
  const MIN_SIZE = 120;
  const MARK = "data-personae";
  const site = location.hostname.includes("pinterest") ? "pinterest" : location.hostname.includes("instagram") ? "instagram" : "web";

  // The widest candidate of a srcset ("url 640w, url 1080w" or "url 1x, url 2x").
  function largest(img) {
    const set = img.getAttribute("srcset");
    if (set) {
      let best = null;
      for (const part of set.split(",")) {
        const [url, descriptor = "1x"] = part.trim().split(/\s+/);
        const value = parseFloat(descriptor) || 1;
        if (url && (!best || value > best.value)) best = { url, value };
      }
      if (best) return new URL(best.url, location.href).href;
    }
    return img.currentSrc || img.src || "";
  }

  // A video's file: its src or <source>; for blob: players, a URL from the page's embedded data
  // (Instagram's video_versions, Pinterest's video_list) if there is one.
  function videoUrl(video) {
    const direct = video.currentSrc || video.getAttribute("src") || (video.querySelector("source") || {}).src || "";
    if (direct && !direct.startsWith("blob:")) return new URL(direct, location.href).href;
    for (const script of document.querySelectorAll('script[type="application/json"], script#__PWS_DATA__')) {
      const text = script.textContent || "";
      const match =
        text.match(/"video_versions"\s*:\s*\[\s*\{[^}]*?"url"\s*:\s*"([^"]+)"/) ||
        text.match(/"V_720P"\s*:\s*\{[^}]*?"url"\s*:\s*"([^"]+)"/) ||
        text.match(/"V_HLSV4"\s*:\s*\{[^}]*?"url"\s*:\s*"([^"]+)"/);
      if (match) return JSON.parse('"' + match[1] + '"');
    }
    return direct; // a blob: the server explains it can't be fetched
  }

  function mediaUrl(node) {
    return node.tagName === "VIDEO" ? videoUrl(node) : largest(node);
  }

  function permalink(node) {
    const link = node.closest('a[href*="/p/"], a[href*="/reel/"], a[href*="/pin/"]') ||
      (node.closest("article") || document).querySelector('a[href*="/p/"], a[href*="/reel/"], a[href*="/pin/"]');
    return link ? new URL(link.getAttribute("href"), location.href).href : location.href;
  }

  function authorOf(node) {
    const article = node.closest("article");
    const link =
      (article && article.querySelector('header a[href^="/"], a[rel="author"]')) ||
      document.querySelector('[data-test-id="creator-profile-name"], a[rel="author"]');
    if (link && link.textContent.trim()) return link.textContent.trim();
    const meta = document.querySelector('meta[name="author"], meta[property="article:author"]');
    return meta ? meta.content : "";
  }

  function captionOf(node) {
    const article = node.closest("article");
    const caption = article && article.querySelector("h1, figcaption, [data-caption]");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    if (node.alt) return node.alt;
    const meta = document.querySelector('meta[property="og:description"]');
    return meta ? meta.content : "";
  }

  function describe(node) {
    return { mediaUrl: mediaUrl(node), pageUrl: permalink(node), author: authorOf(node), caption: captionOf(node), site };
  }

  // --- Toasts -----------------------------------------------------------------------------------
  function toast(text, state) {
    const box = document.createElement("div");
    box.className = "personae-toast";
    box.setAttribute("role", "status");
    box.dataset.state = state || "working";
    const line = document.createElement("span");
    line.className = "personae-toast-text";
    line.textContent = text;
    box.appendChild(line);
    document.documentElement.appendChild(box);
    const api = {
      box,
      update(message, next) {
        line.textContent = message;
        box.dataset.state = next;
        if (next !== "working") setTimeout(() => box.remove(), 12000);
      },
      link(label, href) {
        const a = document.createElement("a");
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener";
        a.textContent = label;
        a.className = "personae-toast-link";
        box.appendChild(a);
      },
      action(label, run) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = label;
        button.className = "personae-toast-action";
        button.addEventListener("click", run);
        box.appendChild(button);
        return button;
      },
    };
    return api;
  }

  function send(message) {
    return new Promise((resolve) => {
      chrome.runtime.sendMessage(message, (reply) => {
        if (chrome.runtime.lastError) resolve({ ok: false, error: "The extension was updated; reload this page." });
        else resolve(reply || { ok: false, error: "No answer from the extension." });
      });
    });
  }

  function finish(button, note, reply) {
    button.dataset.status = reply.ok ? "ok" : "error";
    button.disabled = false;
    if (!reply.ok) {
      note.update("Not saved: " + reply.error, "error");
      return;
    }
    note.update(reply.message, "ok");
    if (reply.assetUrl) {
      button.dataset.assetUrl = reply.assetUrl;
      note.link("Open in Personae", reply.assetUrl);
    }
    if (reply.assetId && !reply.results) {
      const style = note.action("Extract style", async () => {
        style.disabled = true;
        const result = await send({ type: "extract-style", assetId: reply.assetId });
        if (result.ok) note.link("See the style recipe", result.url);
        else note.update("Style not extracted: " + result.error, "error");
      });
    }
  }

  async function onSave(event, node, button) {
    event.preventDefault();
    event.stopPropagation();
    button.disabled = true;
    button.dataset.status = "saving";
    const note = toast("Saving to Personae…");
    finish(button, note, await send({ type: "save-media", ...describe(node) }));
  }

  async function onSaveAll(event, article, button) {
    event.preventDefault();
    event.stopPropagation();
    const slides = [...article.querySelectorAll("ul li img, ul li video")].filter(big);
    const items = [...new Map(slides.map((n) => [mediaUrl(n), describe(n)])).values()];
    button.disabled = true;
    button.dataset.status = "saving";
    const note = toast("Saving " + items.length + " slides to Personae…");
    finish(button, note, await send({ type: "save-many", items }));
  }

  function button(label, title) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "personae-save";
    b.textContent = label;
    b.title = title;
    return b;
  }

  function big(node) {
    // Laid-out, declared or natural size: a lazy or still-loading picture counts at its declared size.
    const box = node.getBoundingClientRect();
    const attr = (name) => parseInt(node.getAttribute(name), 10) || 0;
    const width = Math.max(box.width, attr("width"), node.naturalWidth || 0, node.videoWidth || 0);
    const height = Math.max(box.height, attr("height"), node.naturalHeight || 0, node.videoHeight || 0);
    return width >= MIN_SIZE && height >= MIN_SIZE;
  }

  function place(node, b) {
    const parent = node.parentElement;
    if (!parent) return;
    if (getComputedStyle(parent).position === "static") parent.style.position = "relative";
    parent.appendChild(b);
  }

  function scan() {
    for (const node of document.querySelectorAll(`img:not([${MARK}]), video:not([${MARK}])`)) {
      if (!big(node)) continue;
      node.setAttribute(MARK, "1");
      const b = button(node.tagName === "VIDEO" ? "Save video" : "Save", "Save to Personae");
      b.addEventListener("click", (event) => onSave(event, node, b), true);
      place(node, b);
      const article = node.closest("article");
      if (article && !article.hasAttribute(MARK) && article.querySelectorAll("ul li img, ul li video").length > 1) {
        article.setAttribute(MARK, "1");
        const all = button("Save all", "Save every slide of this post to Personae");
        all.classList.add("personae-save-all");
        all.addEventListener("click", (event) => onSaveAll(event, article, all), true);
        if (getComputedStyle(article).position === "static") article.style.position = "relative";
        article.appendChild(all);
      }
    }
  }

  let pending = null;
  new MutationObserver(() => {
    clearTimeout(pending);
    pending = setTimeout(scan, 250);
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["src", "srcset"] });
  scan();
  window.addEventListener("load", scan);
})();
