// Little and optional: the pages work without it. It applies a field's simple `show if` /
// `hide if` while the person types (the server applies them again), and moves focus to the
// list of problems of a refused screen.
(function () {
  "use strict";
  function valueOf(form, name) {
    var els = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { return el.value === "是" && el.type === "checkbox" ? "True" : el.value; }
      } else if (!el.disabled) { return el.value; }
    }
    for (var j = 0; j < els.length; j++) { if (els[j].type === "checkbox") { return "False"; } }
    return "";
  }
  function apply(form) {
    var wraps = form.querySelectorAll("[data-show-var], [data-hide-var]");
    for (var i = 0; i < wraps.length; i++) {
      var w = wraps[i], show = true;
      if (w.hasAttribute("data-show-var")) { show = valueOf(form, w.getAttribute("data-show-var")) === w.getAttribute("data-show-is"); }
      if (show && w.hasAttribute("data-hide-var")) { show = valueOf(form, w.getAttribute("data-hide-var")) !== w.getAttribute("data-hide-is"); }
      w.hidden = !show;
      var inputs = w.querySelectorAll("input, select, textarea");
      for (var k = 0; k < inputs.length; k++) { inputs[k].disabled = !show; }
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form.screen");
    for (var i = 0; i < forms.length; i++) {
      (function (form) {
        apply(form);
        form.addEventListener("change", function () { apply(form); });
        form.addEventListener("input", function () { apply(form); });
      })(forms[i]);
    }
    var first = document.querySelector("[aria-invalid=true]");
    if (first) { first.focus(); }
  });
})();
