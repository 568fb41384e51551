// The project assistant: ask without reloading, stream the answer as it is written (server-sent
// events from the chat_stream view), stop it mid-answer, and fill in the question from a suggestion.
(function () {
  "use strict";

  function csrf(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function replaceWith(article, html) {
    if (!html) return;
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    if (fresh) article.replaceWith(fresh);
  }

  function follow(article, token) {
    var url = article.dataset.streamUrl;
    if (!url || article.dataset.following) return;
    article.dataset.following = "1";
    var text = article.querySelector(".chat-answer-text");
    text.textContent = "";
    var source = new EventSource(url);
    source.addEventListener("token", function (event) {
      text.textContent += JSON.parse(event.data).text;
      text.scrollIntoView({ block: "end", behavior: "auto" });
    });
    source.addEventListener("done", function (event) {
      source.close();
      replaceWith(article, JSON.parse(event.data).html);
    });
    source.onerror = function () {
      // The stream ended early (a long answer, a dropped connection): follow it again from the start.
      source.close();
      delete article.dataset.following;
      setTimeout(function () { follow(article, token); }, 1000);
    };
    var stop = article.querySelector("[data-stop]");
    if (stop && !stop.dataset.bound) {
      stop.dataset.bound = "1";
      stop.addEventListener("click", function () {
        stop.disabled = true;
        stop.textContent = "Stopping…";
        fetch(article.dataset.stopUrl, {
          method: "POST",
          headers: { "X-CSRFToken": token, Accept: "application/json" },
          credentials: "same-origin",
        });
      });
    }
  }

  function start() {
    var page = document.querySelector("[data-chat]");
    if (!page) return;
    var form = page.querySelector("[data-chat-form]");
    var log = page.querySelector("#chat-log");
    var token = form ? csrf(form) : (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value;
    log.querySelectorAll("article[data-stream-url]").forEach(function (a) { follow(a, token); });
    if (!form) return;
    var question = form.querySelector("textarea[name=question]");
    var error = form.querySelector("[data-chat-error]");
    var send = form.querySelector("[data-chat-send]");
    form.querySelectorAll("[data-suggestion]").forEach(function (button) {
      button.addEventListener("click", function () {
        question.value = button.dataset.suggestion;
        question.focus();
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      if (!question.value.trim()) {
        error.textContent = "Type a question first.";
        error.hidden = false;
        return;
      }
      send.disabled = true;
      var body = new FormData(form);
      fetch(form.action, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json", "X-CSRFToken": token },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
        .then(function (result) {
          var ok = result[0], data = result[1];
          if (!ok) {
            error.textContent = data.error || "That didn't work. Try again.";
            error.hidden = false;
            return;
          }
          var empty = log.querySelector("[data-chat-empty]");
          if (empty) empty.remove();
          var holder = document.createElement("div");
          holder.innerHTML = data.html.trim();
          var article = holder.firstElementChild;
          log.appendChild(article);
          question.value = "";
          form.querySelector("input[name=key]").value = (crypto.randomUUID && crypto.randomUUID()) || "";
          follow(article, token);
        })
        .catch(function () {
          error.textContent = "The connection dropped before the question was sent. Your question is still here: try again.";
          error.hidden = false;
        })
        .finally(function () { send.disabled = false; });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
