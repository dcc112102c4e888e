// Submit the OIDC form_post at once; the visible button stays for browsers without JavaScript.
document.querySelectorAll("form.autosubmit").forEach(function (form) { form.submit(); });
