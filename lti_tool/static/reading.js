/* A page counts as read when the learner reaches its end. Without JavaScript that is "Next" at the
   bottom; here it is also the end of the page staying in view for a moment (a page flicked past does
   not count). The server is told with the same form "Next" posts, so the same checks apply. */
(function () {
  "use strict";
  var DWELL_MS = 2000;
  var end = document.getElementById("page-end");
  var form = document.querySelector("form[data-read-form]");
  if (!end || !form || end.getAttribute("data-read") || !window.fetch || !window.FormData
      || !("IntersectionObserver" in window)) { return; }
  var timer = null;
  var sent = false;

  function markRead() {
    var body = new FormData(form);
    body.set("via", "script");
    fetch(form.action, {method: "POST", body: body, credentials: "omit", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.read) { end.textContent = end.getAttribute("data-read-text"); end.setAttribute("data-read", "1"); }
        else { sent = false; }
      })
      .catch(function () { sent = false; });   /* offline: "Next" still counts it */
  }

  var observer = new IntersectionObserver(function (entries) {
    var visible = entries.some(function (entry) { return entry.isIntersecting; });
    if (visible && !sent && timer === null) {
      timer = window.setTimeout(function () { timer = null; sent = true; markRead(); }, DWELL_MS);
    } else if (!visible && timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
  });
  observer.observe(end);
}());
