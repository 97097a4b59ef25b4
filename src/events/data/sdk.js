/* Kartoteka events SDK: page views, product views and cart events from a shop's pages.
 * <script src="https://kartoteka.example/v1/sdk.js"></script>
 * <script>kartoteka.init({url: "https://kartoteka.example", key: "kt_...collect key"});
 *         kartoteka.productView("A-1"); kartoteka.cartAdd("A-1", 1, 12990);</script>
 * Events go in batches through navigator.sendBeacon (text/plain, the key in the URL), so a page
 * that is closing still sends them. A cookie "kt_id" keeps the browser's anonymous id. */
(function (w, d) {
  "use strict";
  var cfg = null, queue = [], timer = null;
  function uid() {
    var a = new Uint8Array(16);
    (w.crypto || w.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function cookie() {
    var m = d.cookie.match(/(?:^|; )kt_id=([0-9a-f]{32})/);
    if (m) return m[1];
    var id = uid();
    d.cookie = "kt_id=" + id + "; path=/; max-age=63072000; SameSite=Lax";
    return id;
  }
  function flush() {
    timer = null;
    if (!cfg || !queue.length) return;
    var body = JSON.stringify({events: queue.splice(0, 1000)});
    var url = cfg.url + "/v1/events/batch?key=" + encodeURIComponent(cfg.key);
    if (!(w.navigator.sendBeacon && w.navigator.sendBeacon(url, body))) {
      w.fetch(url, {method: "POST", body: body, keepalive: true,
                    headers: {"Content-Type": "text/plain"}});
    }
    if (queue.length) flush();
  }
  function track(type, props) {
    var who = {cookie: cookie()};
    if (cfg && cfg.customer) for (var k in cfg.customer) who[k] = cfg.customer[k];
    queue.push({type: type, at: new Date().toISOString(), message_id: uid(), channel: "web",
                customer: who, properties: props || {}});
    if (!timer) timer = w.setTimeout(flush, 1000);
  }
  w.kartoteka = {
    init: function (c) { cfg = c; track("page_view", {url: w.location.href, title: d.title}); },
    identify: function (who) { if (cfg) cfg.customer = who; },
    productView: function (sku) { track("product_view", {sku: String(sku)}); },
    cartAdd: function (sku, qty, price) { track("cart_add", {sku: String(sku), quantity: qty, price: price}); },
    cartRemove: function (sku, qty, price) { track("cart_remove", {sku: String(sku), quantity: qty, price: price}); },
    track: track,
    flush: flush
  };
  w.addEventListener("pagehide", flush);
})(window, document);
