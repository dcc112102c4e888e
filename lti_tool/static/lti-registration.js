/* LTI Dynamic Registration: tell the LMS the registration is done, so it closes its dialog
   (LTI-DR 1.0, section 3.7: postMessage {subject: "org.imsglobal.lti.close"}). */
(function () {
  var button = document.getElementById("emm-finish");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var lms = window.opener || (window.parent !== window ? window.parent : null);
    if (lms) { lms.postMessage({subject: "org.imsglobal.lti.close"}, "*"); }
    if (window.opener) { window.close(); }
  });
}());
