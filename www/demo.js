/* The demo article's theme switch: it toggles the class "dark" on <html>, as many sites
   do, and the widget, embedded with data-theme="auto", follows. */
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("theme");
  var html = document.documentElement;
  if (matchMedia("(prefers-color-scheme: dark)").matches) html.classList.add("dark");
  function show() {
    var dark = html.classList.contains("dark");
    button.setAttribute("aria-pressed", String(dark));
  }
  button.addEventListener("click", function () {
    html.classList.toggle("dark");
    show();
  });
  show();
});
