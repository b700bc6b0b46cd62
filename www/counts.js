/*! Causerie counts: fills every [data-causerie-count="/path"] of the page with that page's
 * number of comments, in the reader's language, from one request (a GET, or a POST when
 * the list is too long for a URL). embed.js imports this module only on pages that show
 * counts; it never loads the widget.
 *
 * backend: the comment server's origin; lang: the language tag; file(tag): a promise of
 * the language file pkg/i18n/<tag>.json, or of null.
 */
export default function (backend, lang, file) {
  var counted = document.querySelectorAll("[data-causerie-count]");
  var pages = [];
  counted.forEach(function (el) {
    var p = el.getAttribute("data-causerie-count");
    if (pages.indexOf(p) < 0) pages.push(p);
  });
  var api = new URL("/api/v1/counts", backend).href;
  var query = pages.map(function (p) { return "page=" + encodeURIComponent(p); }).join("&");
  var request = query.length < 1500 ? fetch(api + "?" + query) : fetch(api, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ pages: pages })
  });
  var words = file(lang).then(function (t) { return t || file("en"); });
  return Promise.all([request.then(function (r) { return r.json(); }), words]).then(function (got) {
    var counts = got[0].counts, forms = got[1].counts;
    var rules = new Intl.PluralRules(lang), number = new Intl.NumberFormat(lang);
    counted.forEach(function (el) {
      var n = counts[el.getAttribute("data-causerie-count")] || 0;
      el.textContent = n === 0 ? forms.none : (forms[rules.select(n)] || forms.other).replace("#", number.format(n));
    });
  });
}
