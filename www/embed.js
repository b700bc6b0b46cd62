/*! Causerie loader: one <script> tag puts the comment widget on an article page.
 *
 *   <script src="https://comments.example.com/embed.js" defer></script>
 *
 * Attributes, all optional:
 *   data-backend  the comment server's origin (default: this script's origin)
 *   data-page     the thread id (default: the path of <link rel=canonical>, else of the page; with its
 *                 query when the path names no page, as WordPress's /?p=4: the import's rule)
 *   data-lang     the language (default: the page's <html lang>, else the browser's, else English); the
 *                 widget's messages for it are fetched with the wasm, from pkg/i18n/ (English too:
 *                 no language is built into the wasm)
 *   data-target   a CSS selector for where to render (default: the thread the server rendered into
 *                 the page, /api/v1/thread.html, whose page and language then count; else right
 *                 after this script)
 *   data-form     "above" (default) or "below": where the form goes, relative to the comments
 *   data-depth    how deep replies nest, from 1 (no nesting) to any; default 3
 *   data-strings  your own wording for some messages, as JSON (see strings.js)
 *   data-theme    "light" (default), "dark", or "auto": dark when the page's <html> has the class
 *                 "dark" or data-theme="dark", light when it has "light", else as the reader's
 *                 system prefers; followed as the page changes it
 *   data-counts-only  present on pages that show counts but no comment form
 *
 * Any element with data-causerie-count="/path/of/article" gets that page's number of
 * comments, in the reader's language; all the counts of a page come from one request,
 * and counting never loads the widget.
 * The widget's wasm is fetched only when the comment area comes near the viewport, so a
 * reader who never scrolls to the end of the article pays for this file alone. On a page
 * served without the thread's HTML, that HTML is fetched then too (with prerender.js),
 * and shown before the wasm arrives; the widget takes it over.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var data = script.dataset;
  var src = new URL(script.src, location.href);
  // The thread the server rendered into the page (/api/v1/thread.html), if it is there:
  // the widget takes it over in place, with what the reader typed into its form.
  var rendered = document.querySelector("[data-causerie][data-rendered]");
  var served = rendered ? rendered.dataset : {};

  function id(url) {
    var p = url.pathname;
    return p == "/" || /\.php$/.test(p) ? p + url.search : p;
  }
  function page() {
    if (data.page || served.page) return data.page || served.page;
    var canonical = document.querySelector("link[rel=canonical]");
    if (canonical && canonical.href) {
      try { return id(new URL(canonical.href, location.href)); } catch (e) { /* fall through */ }
    }
    return id(location);
  }

  var backend = data.backend || src.origin;
  // Every file the loader fetches is under pkg/. The built loader names the build's own
  // folder, pkg/<content hash>/, whose files are cached for a year.
  var pkg = new URL("pkg/", src);

  // Each language's messages come in one small file; a language without one gets English.
  var lang = (data.lang || served.lang || document.documentElement.lang || navigator.language || "en").toLowerCase().split(/[-_]/)[0];
  if (!/^[a-z]{2,3}$/.test(lang)) lang = "en";
  var files = {};
  function file(tag) {
    return files[tag] || (files[tag] = fetch(new URL("i18n/" + tag + ".json", pkg))
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; }));
  }

  // The counts: their own small module, loaded only by pages that show counts.
  if (document.querySelector("[data-causerie-count]")) {
    import(new URL("counts.js", pkg).href)
      .then(function (counts) { counts.default(backend, lang, file); })
      .catch(function (e) { console.error("causerie: the counts could not load", e); });
  }
  if (data.countsOnly !== undefined) return;

  var host = rendered || data.target && document.querySelector(data.target);
  if (!host) {
    host = document.createElement("div");
    script.parentNode.insertBefore(host, script.nextSibling);
  }
  host.setAttribute("data-causerie", "");
  // Until its comments come, an empty area keeps a screen's height, so that what follows
  // it (the page's footer) does not jump away when they arrive in view.
  if (!rendered) host.style.minHeight = "100vh";
  function settle() { host.style.minHeight = ""; }

  // The colour scheme, as the stylesheet reads it: data-scheme="dark" or "light".
  var theme = data.theme || "light";
  var html = document.documentElement;
  var system = matchMedia("(prefers-color-scheme: dark)");
  function scheme() {
    var page = html.getAttribute("data-theme") || (html.classList.contains("dark") ? "dark" : html.classList.contains("light") ? "light" : "");
    var t = theme !== "auto" ? theme : /^(dark|light)$/.test(page) ? page : system.matches ? "dark" : "light";
    host.setAttribute("data-scheme", t);
  }
  scheme();
  if (theme === "auto") {
    new MutationObserver(scheme).observe(html, { attributes: true, attributeFilter: ["class", "data-theme"] });
    system.addEventListener("change", scheme);
  }
  if (data.form) host.setAttribute("data-form", data.form);
  if (data.depth) host.setAttribute("data-depth", data.depth);

  // The widget, rendered beside the server's HTML and its thread loaded, takes its place
  // in one task: what the reader typed, the focus and the caret go with them, and the
  // form's signed render time too, so that the time spent typing counts.
  function adopt(root) {
    var shadow = host.shadowRoot, focused = shadow.activeElement;
    var caret = focused && [focused.selectionStart, focused.selectionEnd];
    function field(where, name) { return where.querySelector("[name=" + name + "]"); }
    ["comment", "author", "email", "url"].forEach(function (name) {
      var typed = field(shadow, name), own = field(root, name);
      if (typed && own && typed.value) {
        own.value = typed.value;
        own.dispatchEvent(new Event("input"));
      }
    });
    var asked = field(shadow, "notify"), box = field(root, "notify");
    if (asked && box) box.checked = asked.checked;
    // Unless the page is old (a static site built days ago): its token may have expired.
    var token = field(shadow, "form_token");
    if (token && Date.now() - parseInt(token.value, 10) < 36e5) {
      root.querySelector("form").setAttribute("data-token", token.value);
    }
    shadow.replaceChildren(root);
    var again = focused && focused.name && field(root, focused.name);
    if (again) {
      again.focus();
      try { again.setSelectionRange(caret[0], caret[1]); } catch (e) { /* no caret: type=email */ }
    }
  }

  // No thread in the page: the server's HTML of it comes with the wasm and, smaller,
  // arrives first, so that the form can be typed into before the wasm is there
  // (prerender.js, fetched at the same time as the HTML).
  function prerender() {
    var url = new URL("api/v1/thread.html", backend + "/");
    url.search = new URLSearchParams({ page: page(), lang: lang });
    Promise.all([fetch(url).then(function (r) { return r.ok ? r.text() : ""; }), import(new URL("prerender.js", pkg).href)])
      .then(function (got) { got[1].default(host, got[0]); settle(); })
      .catch(function () { /* the wasm renders the widget alone */ });
  }

  var started = false;
  function load() {
    if (started) return;
    started = true;
    if (!host.shadowRoot) prerender();
    var words = file(lang).then(function (t) { return t ? [lang, t] : file("en").then(function (e) { return ["en", e]; }); });
    if (data.strings) {
      words = Promise.all([words, import(new URL("strings.js", pkg).href)])
        .then(function (w) { return w[1].default(w[0], data.strings, pkg); });
    }
    Promise.all([import(new URL("causerie.js", pkg).href), words])
      .then(function (loaded) {
        var widget = loaded[0], tag = loaded[1][0], table = loaded[1][1];
        host.dir = table.dir;
        return widget.default({ module_or_path: new URL("causerie_bg.wasm", pkg) }).then(function () {
          widget.mount(host, backend, page(), tag, table.messages, table.counts, adopt);
          settle();
        });
      })
      .catch(function (e) { settle(); console.error("causerie: the widget could not load", e); });
  }

  if ("IntersectionObserver" in window) {
    var observer = new IntersectionObserver(function (entries) {
      for (var i = 0; i < entries.length; i++) {
        if (entries[i].isIntersecting) { observer.disconnect(); load(); return; }
      }
    }, { rootMargin: "800px 0px" });
    observer.observe(host);
  } else {
    load();
  }
})();
