// PlazaDesk console: the few behaviours htmx does not give by attributes alone.
(function () {
  // A refusal (4xx/5xx) is shown, not dropped: the console answers those with the
  // service's problem details rendered into #flash (HX-Retarget).
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "[45]..", swap: true, error: true },
  ];
  htmx.config.defaultSettleDelay = 0;

  // Keyboard: Alt+1…9 opens the n-th page of the menu; "/" goes to the page's search box.
  document.addEventListener("keydown", function (e) {
    if (e.altKey && e.key >= "1" && e.key <= "9") {
      var links = document.querySelectorAll(".menu a");
      var link = links[Number(e.key) - 1];
      if (link) { e.preventDefault(); window.location = link.href; }
    } else if (e.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
      var search = document.querySelector("[data-search]");
      if (search) { e.preventDefault(); search.focus(); }
    }
  });

  // A flash message from a refused call clears when the person changes something.
  document.addEventListener("input", function () {
    var flash = document.getElementById("flash");
    if (flash && flash.children.length) flash.innerHTML = "";
  });
})();
