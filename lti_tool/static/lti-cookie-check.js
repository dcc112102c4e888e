/* Inside an LMS iframe without platform storage: continue only if a cookie survives here,
   else offer to open the activity in a new window (where cookies are first-party). */
(function () {
  "use strict";
  var box = document.getElementById("emm-cookie-check");
  if (!box) { return; }
  document.cookie = "emm-cookie-check=1; path=/; max-age=60; SameSite=None; Secure; Partitioned";
  if (document.cookie.indexOf("emm-cookie-check=1") !== -1) {
    window.location.replace(box.dataset.authUrl);
    return;
  }
  document.getElementById("emm-cookie-status").hidden = true;
  document.getElementById("emm-cookie-blocked").hidden = false;
}());
