// Keeps a petition page's signature count current: every few seconds it reads the
// petition's count.json (the address is in the page, data-count-url) and updates the
// figures and the progress bar. Ours, served from this site, so the strict CSP allows
// it; without JavaScript the page still shows the count it was rendered with.
(() => {
  "use strict";

  const EVERY_MS = 5000;
  const box = document.querySelector("[data-count-url]");
  if (!box || !window.fetch) {
    return;
  }
  const countEl = box.querySelector("[data-count]");
  const goalEl = box.querySelector("[data-goal]");
  const bar = box.querySelector("progress");
  let format;
  try {
    format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  } catch {
    format = new Intl.NumberFormat();
  }

  const show = (data) => {
    if (!Number.isInteger(data.count) || !Number.isInteger(data.goal)) {
      return;
    }
    if (countEl && String(data.count) !== countEl.dataset.count) {
      countEl.dataset.count = String(data.count);
      countEl.textContent = format.format(data.count);
    }
    if (goalEl && String(data.goal) !== goalEl.dataset.goal) {
      goalEl.dataset.goal = String(data.goal);
      goalEl.textContent = format.format(data.goal);
    }
    if (bar) {
      bar.max = data.goal;
      bar.value = data.count;
    }
  };

  const refresh = async () => {
    if (!document.hidden) {
      try {
        const response = await fetch(box.dataset.countUrl, {
          credentials: "omit",
          headers: { Accept: "application/json" },
        });
        if (response.ok) {
          show(await response.json());
        }
      } catch {
        // Offline or a slow connection: keep the count shown and try again later.
      }
    }
    window.setTimeout(refresh, EVERY_MS);
  };

  window.setTimeout(refresh, EVERY_MS);
})();
