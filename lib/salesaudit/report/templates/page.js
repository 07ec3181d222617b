(function () {
  // "Show all code" / "Hide all code": opens or closes every per-cell code toggle.
  var button = document.getElementById("sa-toggle-code");
  if (!button) return;
  var blocks = document.querySelectorAll("details.code");
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-pressed") !== "true";
    for (var i = 0; i < blocks.length; i++) blocks[i].open = open;
    button.setAttribute("aria-pressed", String(open));
    button.textContent = open ? button.dataset.hide : button.dataset.show;
  });
})();
