/* Save each quiz answer on the server as the learner gives it, so leaving the page, a dead battery
   or another device loses nothing. One question per request (two tabs never overwrite each other's
   other answers), sent one after another in the order of the changes. Without JavaScript the form's
   "Save and leave" button does the same for the whole form. */
(function () {
  "use strict";
  var form = document.querySelector("form.quiz[data-save-url]");
  var status = document.getElementById("save-status");
  if (!form || !status || !window.fetch || !window.FormData || !window.Promise) { return; }
  var url = form.getAttribute("data-save-url");
  var queue = Promise.resolve();
  var closed = false;
  var pending = 0;

  function say(key) {
    status.textContent = status.getAttribute("data-" + key) || "";
    status.setAttribute("data-state", key);
    status.setAttribute("data-pending", String(pending));
  }

  function body(fieldset) {
    var data = new FormData();
    ["csrf_token", "attempt", "answers_token"].forEach(function (name) {
      var input = form.elements.namedItem(name);
      if (input) { data.append(name, input.value); }
    });
    data.append("via", "script");
    data.append("question", fieldset.getAttribute("data-question"));
    Array.prototype.forEach.call(fieldset.querySelectorAll("input[name], select[name]"), function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      if (el.tagName === "SELECT" && !el.value) { return; }
      data.append(el.name, el.value);
    });
    return data;
  }

  function send(data) {
    return fetch(url, {method: "POST", body: data, credentials: "omit", headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (answer) {
          pending -= 1;
          if (answer && answer.saved) { say(answer.expired ? "expired" : (pending ? "saving" : "saved")); }
          else if (answer && answer.expired) { say("expired"); }
          else if (response.status === 409) { closed = true; say("closed"); }
          else { say("failed"); }
        });
      }, function () { pending -= 1; say("failed"); });
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest ? event.target.closest("fieldset[data-question]") : null;
    if (!fieldset || closed) { return; }
    var data = body(fieldset);
    pending += 1;
    say("saving");
    queue = queue.then(function () { return send(data); });
  });
}());
