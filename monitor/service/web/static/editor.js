// The rule form's live preview: as the query is typed, the backtest beside it is asked for
// again (a GET of /rules/preview with the form's fields) and put in place. Without this
// script the "Preview" button does the same by submitting the form.
(function () {
  "use strict";
  var form = document.getElementById("rule-form");
  var panel = document.getElementById("preview");
  if (!form || !panel || !window.fetch) { return; }
  var timer = null;
  var asked = 0;
  function refresh() {
    var fields = new URLSearchParams();
    ["name", "query", "any", "all", "none", "digest", "priority"].forEach(function (key) {
      var input = form.elements.namedItem(key);
      if (input) { fields.set(key, input.value); }
    });
    if (form.dataset.original) { fields.set("original", form.dataset.original); }
    var mine = ++asked;
    fetch(form.dataset.preview + "?" + fields.toString(), { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html !== null && mine === asked) { panel.innerHTML = html; }
      })
      .catch(function () { /* the Preview button still works */ });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
