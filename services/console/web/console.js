// Live updates for the inbox and the duty queue: the server says
// "changed" over server-sent events (no content in it); the page fetches
// itself and swaps in the new list. Everything shown is HTML the server
// escaped; nothing here builds markup from data.
(function () {
  "use strict";
  var view = document.body.dataset.live;
  if (!view || !window.EventSource) { return; }
  var region = document.getElementById("live-region");
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    // A refresh the page makes by itself: not activity (the session still
    // ends when the person is away).
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html", "X-Helpline-Refresh": "background" } })
      .then(function (r) {
        if (r.redirected || r.status === 401) { location.assign("/login"); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("live-region");
        if (next && region && next.innerHTML !== region.innerHTML) {
          var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#live-region");
          if (!focused) { region.replaceChildren.apply(region, Array.prototype.map.call(next.childNodes, function (n) { return document.importNode(n, true); })); }
          else { again = true; }
        }
      })
      .catch(function () {})
      .finally(function () { busy = false; if (again) { again = false; setTimeout(refresh, 2000); } });
  }
  var es = new EventSource("/api/live?view=" + encodeURIComponent(view));
  es.addEventListener("changed", refresh);
  es.addEventListener("signed_out", function () { es.close(); location.assign("/login"); });
})();
