// Behaviour every page shares. No inline handlers: the Content-Security-Policy runs only
// scripts from this site.
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("[data-submit-on-change]")) {
    el.addEventListener("change", () => el.form.submit());
  }
});
