// LTI platform storage (1EdTech "LTI Client Side postMessages"): answer the tool framed in this page.
// Only messages from the tool's origin are answered; values are kept per origin in sessionStorage
// (in memory when sessionStorage is unavailable).
(function () {
  "use strict";
  var frame = document.getElementById("tool-frame");
  if (!frame) { return; }
  var toolOrigin = frame.getAttribute("data-tool-origin");
  var memory = {};
  var SUPPORTED = ["lti.capabilities", "lti.get_data", "lti.put_data"];

  function slot(origin, key) { return "demo-lms-storage|" + origin + "|" + key; }

  function put(origin, key, value) {
    try { window.sessionStorage.setItem(slot(origin, key), JSON.stringify(value)); }
    catch (e) { memory[slot(origin, key)] = value; }
  }

  function get(origin, key) {
    var raw = null;
    try { raw = window.sessionStorage.getItem(slot(origin, key)); } catch (e) { raw = null; }
    if (raw !== null) { return { found: true, value: JSON.parse(raw) }; }
    if (Object.prototype.hasOwnProperty.call(memory, slot(origin, key))) {
      return { found: true, value: memory[slot(origin, key)] };
    }
    return { found: false };
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== toolOrigin) { return; }
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.subject !== "string") { return; }
    // Some tools still send the older "org.imsglobal." prefix: answer in kind.
    var prefix = data.subject.indexOf("org.imsglobal.") === 0 ? "org.imsglobal." : "";
    var subject = data.subject.slice(prefix.length);
    if (subject.indexOf("lti.") !== 0 || /\.response$/.test(subject)) { return; }
    var reply = { subject: prefix + subject + ".response", message_id: data.message_id };
    var hasKey = typeof data.key === "string" && data.key !== "";

    if (subject === "lti.capabilities") {
      reply.supported_messages = SUPPORTED.map(function (s) { return { subject: s }; });
    } else if (subject === "lti.put_data") {
      if (!hasKey) {
        reply.error = { code: "bad_request", message: "put_data needs a key" };
      } else {
        put(event.origin, data.key, data.value);
        reply.key = data.key;
        reply.value = data.value;
      }
    } else if (subject === "lti.get_data") {
      var found = hasKey ? get(event.origin, data.key) : { found: false };
      reply.key = data.key;
      if (found.found) {
        reply.value = found.value;
      } else {
        reply.error = { code: "bad_request", message: hasKey ? "no value stored for key " + data.key : "get_data needs a key" };
      }
    } else {
      reply.error = { code: "unsupported_subject", message: "unsupported subject " + data.subject };
    }
    event.source.postMessage(reply, event.origin);
  });
})();
