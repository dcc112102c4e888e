/* LTI platform storage (1EdTech client-side postMessages): keep the OIDC state with the LMS page
   when cookies are blocked in its iframe. Login: lti.put_data, then go to the LMS authorization.
   Launch: lti.get_data, and re-post the launch only if the state matches. */
(function () {
  "use strict";
  function frame(name) {
    var parent = window.parent;
    if (name && name !== "_parent") {
      try { if (parent.frames[name]) { return parent.frames[name]; } } catch (e) { /* cross-origin */ }
    }
    return parent;
  }
  function ask(target, origin, message, timeoutMs, done) {
    var id = "emm-" + Math.random().toString(36).slice(2);
    message.message_id = id;
    var timer = null;
    function onMessage(event) {
      if (event.origin !== origin || !event.data || event.data.message_id !== id) { return; }
      window.removeEventListener("message", onMessage);
      clearTimeout(timer);
      done(event.data);
    }
    window.addEventListener("message", onMessage);
    timer = setTimeout(function () { window.removeEventListener("message", onMessage); done(null); }, timeoutMs);
    target.postMessage(message, origin);
  }
  var login = document.getElementById("emm-storage-login");
  if (login) {
    var d = login.dataset;
    ask(frame(d.target), d.platformOrigin,
        {subject: "lti.put_data", key: "emm_state_" + d.state, value: d.state}, 3000,
        function () { window.location.replace(d.authUrl); });
  }
  var check = document.getElementById("emm-storage-check");
  if (check) {
    var c = check.dataset;
    ask(frame(c.target), c.platformOrigin, {subject: "lti.get_data", key: "emm_state_" + c.state}, 3000,
        function (answer) {
          if (answer && !answer.error && answer.value === c.state) { check.submit(); return; }
          var status = document.getElementById("emm-storage-status");
          status.textContent = status.dataset.failed || "This launch could not be confirmed by your LMS. Open the activity again from the LMS.";
          status.setAttribute("role", "alert");
        });
  }
}());
