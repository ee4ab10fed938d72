// Little and optional: the pages work without it (the server applies every `show if` /
// `hide if` again when a screen is sent). While the person types, it asks the server which
// fields of this screen show for the answers so far (POST …/shown, decided by the same engine
// as on submit, so a condition in `code:` is applied live too) and hides or shows them; it
// moves focus to the first field of a refused screen. Plain XMLHttpRequest: old office browsers.
(function () {
  "use strict";
  function apply(form, shown) {
    var wraps = form.querySelectorAll("[data-conditional]");
    for (var i = 0; i < wraps.length; i++) {
      var w = wraps[i], show = shown.indexOf(w.getAttribute("data-field")) >= 0;
      w.hidden = !show;
      var inputs = w.querySelectorAll("input, select, textarea");
      for (var k = 0; k < inputs.length; k++) { inputs[k].disabled = !show; }
    }
  }
  function watch(form) {
    var url = form.getAttribute("data-shown-url"), timer = null, asked = 0;
    if (!url || !form.querySelector("[data-conditional]") || !window.FormData) { return; }
    function ask() {
      var mine = ++asked, xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (mine !== asked || xhr.status !== 200) { return; }  // a newer answer is on its way
        try { apply(form, JSON.parse(xhr.responseText).shown || []); } catch (e) { /* keep the page */ }
      };
      xhr.send(new FormData(form));
    }
    function soon() { if (timer) { clearTimeout(timer); } timer = setTimeout(ask, 150); }
    form.addEventListener("change", soon);
    form.addEventListener("input", soon);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form.screen");
    for (var i = 0; i < forms.length; i++) { watch(forms[i]); }
    var first = document.querySelector("[aria-invalid=true]");
    if (first) { first.focus(); }
  });
})();
