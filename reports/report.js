(function () {
  "use strict";
  var filters = document.getElementById("filters");
  if (filters) {
    var boxes = filters.querySelectorAll("input[data-filter]");
    var apply = function () {
      var show = {};
      boxes.forEach(function (box) { show[box.getAttribute("data-filter")] = box.checked; });
      document.querySelectorAll("section.group").forEach(function (group) {
        var visible = 0;
        group.querySelectorAll("tr.requirement").forEach(function (row) {
          row.hidden = !show[row.getAttribute("data-verdict")];
          if (!row.hidden) { visible++; }
        });
        group.hidden = visible === 0;
      });
    };
    boxes.forEach(function (box) { box.addEventListener("change", apply); });
    filters.hidden = false;
  }
  var toggle = document.getElementById("toggle-evidence");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-pressed") !== "true";
      toggle.setAttribute("aria-pressed", String(open));
      toggle.textContent = open ? "Collapse every exchange" : "Expand every exchange";
      document.querySelectorAll("#evidence details.exchange").forEach(function (d) { d.open = open; });
    });
    document.getElementById("evidence-controls").hidden = false;
  }
})();
