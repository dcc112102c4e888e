/* Submit the form marked data-autosubmit (deep linking response); its button stays for no-JS users. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
}());
