// The rumour desk's one script: live updates and the date control. Served as a file, as
// the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // Changing the as-of date replays the page at once.
  function wireReplay() {
    var day = document.getElementById("as-of");
    if (day) {
      day.addEventListener("change", function () { if (day.value) day.form.submit(); });
    }
  }
  wireReplay();

  var body = document.body;
  if (!body.dataset.live || !window.EventSource) return;
  var token = new URLSearchParams(window.location.search).get("token");
  var stream = "/events" + (token ? "?token=" + encodeURIComponent(token) : "");
  var source = null;
  var state = document.getElementById("live-state");
  var busy = false;
  var again = false;

  // The page is fetched again as it is (same URL, same clocks) and its main part swapped in:
  // the server renders it, so the figures are the server's, never worked out here.
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var old = document.querySelector("main");
        if (fresh && old) {
          old.replaceWith(fresh);
          fresh.classList.add("flash");
          body.dataset.updates = String(Number(body.dataset.updates || "0") + 1);
          wireReplay();
        }
      })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  // Each event carries the watcher's version; the page knows the one it was rendered at.
  // A change made between rendering and (re)connecting shows up as a different version.
  function changed(event) {
    if (event.data === body.dataset.version) return;
    body.dataset.version = event.data;
    refresh();
  }

  function connect() {
    source = new EventSource(stream);
    source.addEventListener("changed", changed);
    source.addEventListener("hello", function (event) {
      if (state) { state.textContent = "live"; state.classList.remove("off"); }
      changed(event);
    });
    source.onerror = function () {
      if (state) { state.textContent = "reconnecting"; state.classList.add("off"); }
    };
  }
  connect();

  // A browser holds six connections to one server: a page kept in the back-forward cache
  // with its stream open would take one each, and the seventh page would wait for a slot.
  window.addEventListener("pagehide", function () { if (source) source.close(); source = null; });
  window.addEventListener("pageshow", function (event) { if (event.persisted && !source) connect(); });
})();
