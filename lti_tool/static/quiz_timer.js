/* The quiz's time limit, counted down where the learner sees it; at the deadline the form is sent
   with what has been answered (the server counts a submission up to a minute late). Without
   JavaScript the page states the time to submit by. */
(function () {
  "use strict";
  var box = document.getElementById("quiz-deadline");
  var form = document.querySelector("form.quiz");
  if (!box || !form) { return; }
  var deadline = parseInt(box.getAttribute("data-deadline"), 10);
  var out = box.querySelector(".countdown");
  var sent = false;
  function tick() {
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) {
      if (!sent) {
        sent = true;
        var confirm = document.createElement("input");
        confirm.type = "hidden"; confirm.name = "confirm_unanswered"; confirm.value = "1";
        form.appendChild(confirm);
        form.submit();
      }
      return;
    }
    var minutes = Math.floor(left / 60), seconds = left % 60;
    out.textContent = "(" + minutes + ":" + (seconds < 10 ? "0" : "") + seconds + ")";
    window.setTimeout(tick, 1000);
  }
  tick();
})();
