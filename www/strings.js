/*! Causerie: a site owner's own wording for the widget's messages.
 *
 * embed.js imports this module only when its script tag has data-strings, a JSON object
 * whose keys are message names (pkg/i18n/keys.json lists them; the README too) or
 * "count.<category>" for the heading's count ("count.none", "count.one", "count.other"…):
 *
 *   <script src="…/embed.js" data-strings='{"Submit": "Publier", "count.none": "Soyez le premier !"}' defer></script>
 *
 * An unknown key is reported in the console and ignored; a value that is not JSON leaves
 * every message as it was.
 */
// `base` is the loader's pkg/ folder.
export default function (loaded, overrides, base) {
  return fetch(new URL("i18n/keys.json", base))
    .then(function (r) { return r.json(); })
    .then(function (keys) {
      var own = JSON.parse(overrides);
      var table = loaded[1];
      var messages = table.messages.slice();
      var counts = Object.assign({}, table.counts);
      Object.keys(own).forEach(function (key) {
        var i = keys.indexOf(key);
        if (key.indexOf("count.") === 0) counts[key.slice(6)] = String(own[key]);
        else if (i >= 0) messages[i] = String(own[key]);
        else console.warn("causerie: data-strings: there is no message named " + key);
      });
      return [loaded[0], { dir: table.dir, messages: messages, counts: counts }];
    })
    .catch(function (e) {
      console.error("causerie: data-strings is ignored", e);
      return loaded;
    });
}
