// "In sổ": a button with data-print prints the page (a script file, not an inline handler: Content-Security-Policy).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) {
    window.print();
  }
});
