// Liaison: small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".menu-toggle");
  const nav = document.getElementById("nav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
  // Filters apply as soon as a menu changes.
  document.querySelectorAll("form.filters select").forEach((s) =>
    s.addEventListener("change", () => s.form.submit()));
  // Destructive forms ask first.
  document.querySelectorAll("form[data-confirm]").forEach((f) =>
    f.addEventListener("submit", (e) => { if (!confirm(f.dataset.confirm)) e.preventDefault(); }));
  // Language links return to the page the visitor is on.
  document.querySelectorAll(".langs a").forEach((a) => {
    const url = new URL(a.href, location.href);
    url.searchParams.set("next", location.pathname + location.search);
    a.href = url.pathname + url.search;
  });
});
// The request form: the policy-change fields show only for the policy category.
document.addEventListener("DOMContentLoaded", () => {
  const category = document.getElementById("category");
  const groups = document.querySelectorAll("[data-when-category]");
  if (!category || groups.length === 0) return;
  const sync = () => groups.forEach((g) => {
    const invalid = g.querySelector('[aria-invalid="true"]');
    g.hidden = category.value !== g.dataset.whenCategory && !invalid;
  });
  category.addEventListener("change", sync);
  sync();
});
// The ticket queue: rows are links; j and k move between them, Enter opens the focused one.
document.addEventListener("DOMContentLoaded", () => {
  const links = Array.from(document.querySelectorAll("[data-keynav] a.row-link"));
  if (links.length === 0) return;
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || (e.key !== "j" && e.key !== "k")) return;
    const target = e.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const at = links.indexOf(document.activeElement);
    const next = e.key === "j" ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
    links[next].focus();
    e.preventDefault();
  });
});
// Copy buttons (an API token shown once): copies the named element's text, says so.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-copy]").forEach((b) =>
    b.addEventListener("click", () => {
      const el = document.getElementById(b.dataset.copy);
      if (!el || !navigator.clipboard) return;
      navigator.clipboard.writeText(el.textContent.trim()).then(() => {
        if (b.dataset.copied) b.textContent = b.dataset.copied;
      });
    }));
});
