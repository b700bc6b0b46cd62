/*! Causerie prerender: puts the server's HTML of the thread (GET /api/v1/thread.html)
 * into the widget's host before the wasm arrives, so that the reader can read and type at
 * once; the widget then takes it over as it takes over the HTML a page was served with.
 * embed.js imports this module, with the HTML, when the comment area comes near, on
 * pages that were served without the thread.
 *
 * The HTML is parsed in an inert document and built again element by element: only the
 * template's own tags and attributes, and links to http(s) only. Nothing it holds runs,
 * whatever the server sent. The stylesheet is the widget's own, built in.
 */
import css from "./pkg/causerie.css";

var TAGS = /^(DIV|FORM|H2|H3|P|SPAN|LABEL|TEXTAREA|INPUT|BUTTON|SECTION|OL|LI|ARTICLE|HEADER|A|TIME)$/;
var NAMES = /^(class|id|for|name|type|value|rows|required|autocomplete|tabindex|rel|dir|lang|datetime|method|part|item(scope|type|prop)|(aria|data)-[a-z-]+)$/;
var LINKS = /^(href|action)$/;

function copy(from, to) {
  from.childNodes.forEach(function (n) {
    if (n.nodeType == 3) to.append(n.data);
    if (n.nodeType != 1 || !TAGS.test(n.tagName)) return;
    var e = document.createElement(n.tagName);
    for (var i = 0; i < n.attributes.length; i++) {
      var a = n.attributes[i];
      if (NAMES.test(a.name) || LINKS.test(a.name) && /^https?:/i.test(a.value)) e.setAttribute(a.name, a.value);
    }
    to.append(copy(n, e));
  });
  return to;
}

export default function (host, html) {
  var template = new DOMParser().parseFromString(html, "text/html").querySelector("template");
  // The wasm came first, or the server sent no thread: the widget renders alone.
  if (!template || host.shadowRoot) return;
  var sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  var shadow = host.attachShadow({ mode: "open" });
  shadow.adoptedStyleSheets = [sheet];
  shadow.append(copy(template.content, document.createDocumentFragment()));
  // Back to this very page after a post without script, not to the site's root: the
  // Referer of a fetch from another origin names only the origin.
  var back = shadow.querySelector("[name=redirect_to]");
  if (back) back.value = location.href.split("#")[0];
}
