/* Session mode: redraw the "Active now" panel from a small same-origin JSON endpoint every few
   seconds. Text only (textContent), no HTML from the server; without JavaScript the page shows
   the same panel as of its last load. */
(function () {
  "use strict";
  var panel = document.getElementById("live");
  if (!panel || !window.fetch) { return; }
  var url = panel.getAttribute("data-live-url");
  var every = Math.max(2, parseInt(panel.getAttribute("data-poll-seconds"), 10) || 3) * 1000;
  var list = document.getElementById("live-list");
  var count = document.getElementById("live-count");
  var state = document.getElementById("quiz-state");
  var note = document.getElementById("live-note");
  var stopped = false;

  function draw(data) {
    var items = [];
    data.active.forEach(function (person) {
      var li = document.createElement("li");
      var name = document.createElement("strong");
      name.textContent = person.name;
      var where = document.createElement("span");
      where.className = "where";
      where.textContent = person.where;
      li.appendChild(name);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(where);
      items.push(li);
    });
    list.replaceChildren.apply(list, items);
    if (count.textContent !== data.active_text) { count.textContent = data.active_text; }
    if (state) {
      var span = state.firstElementChild || state;
      span.textContent = data.quiz.text;
      span.className = data.quiz.closed ? "state-closed" : "state-open";
    }
  }

  function poll() {
    if (stopped) { return; }
    fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          stopped = true;
          response.text().then(function () {
            note.textContent = panel.getAttribute("data-stopped") || note.textContent;
          });
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) { if (data) { draw(data); } })
      .catch(function () { /* a dropped connection: try again at the next tick */ })
      .then(function () { if (!stopped) { window.setTimeout(poll, every); } });
  }
  window.setTimeout(poll, every);
})();
