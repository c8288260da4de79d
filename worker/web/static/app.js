// Keyboard shortcuts (as Miniflux): g a alerts, g t topics, g f feeds, g d deliveries, / search.
(function () {
  let g = false;
  document.addEventListener("keydown", function (e) {
    const t = e.target;
    if (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") { e.preventDefault(); location.href = "/search"; return; }
    if (g) {
      const to = { a: "/", t: "/topics", f: "/feeds", d: "/deliveries" }[e.key];
      g = false;
      if (to) location.href = to;
      return;
    }
    if (e.key === "g") g = true;
  });
})();

// Forms that ask first (data-confirm): kept out of inline handlers, which the CSP forbids.
document.addEventListener("submit", function (e) {
  const msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
}, true);
