(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var rows = document.querySelectorAll("tr.council");
  var count = document.getElementById("shown-count");
  function apply() {
    var want = {};
    form.querySelectorAll("select").forEach(function (s) { want[s.name] = s.value; });
    var shown = 0;
    rows.forEach(function (row) {
      var ok = Object.keys(want).every(function (k) { return want[k] === "" || row.dataset[k] === want[k]; });
      row.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = shown + " of " + rows.length + " councils shown";
  }
  form.addEventListener("change", apply);
  apply();
})();
