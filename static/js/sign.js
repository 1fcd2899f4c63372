// The sign form's own script (templates/public/_sign_form.html). Everything here is
// optional: without JavaScript the form posts the same, except on a petition that asks
// for proof of work. No inline code, nothing from another host (strict CSP).
//
// 1. `elapsed`: milliseconds from showing the form to sending it. A form sent faster
//    than a person can type makes a quietly suspect signature (cases/public/forms.py).
// 2. Proof of work, when the form has the field for it: on the first touch of the form
//    (or at once, on the page that asks for it), fetch a fresh challenge for this
//    petition, put it where static/js/proof-of-work.js reads it, and load that solver,
//    which fills the field and holds the form back until the answer is found. The
//    cached page cannot carry a challenge: each is good for one signature.
"use strict";

(() => {
  const form = document.querySelector("form.sign-form");
  if (!form) {
    return;
  }
  const shown = performance.now();
  const elapsed = form.elements.namedItem("elapsed");
  const field = document.getElementById("id_proof_of_work");
  const status = document.getElementById("proof-of-work-status");
  const wantsProof = Boolean(field && field.dataset.challengeUrl);
  let requested = false;
  let solverLoaded = false;
  let failed = false;
  let sendWhenLoaded = false;

  function fail() {
    failed = true; // the form goes as it is; the server asks again
    if (status) {
      status.textContent = status.dataset.failed;
    }
    if (sendWhenLoaded) {
      form.submit();
    }
  }

  function start() {
    if (!wantsProof || requested) {
      return;
    }
    requested = true;
    fetch(field.dataset.challengeUrl, {
      cache: "no-store",
      credentials: "omit",
      headers: { Accept: "application/json" },
    })
      .then((response) => {
        if (!response.ok) {
          throw new Error(`challenge: ${response.status}`);
        }
        return response.json();
      })
      .then((challenge) => {
        const data = document.createElement("script");
        data.type = "application/json";
        data.id = "proof-of-work-challenge";
        data.textContent = JSON.stringify(challenge);
        document.body.append(data);
        const solver = document.createElement("script");
        solver.src = field.dataset.solver;
        solver.addEventListener("load", () => {
          solverLoaded = true;
          if (sendWhenLoaded) {
            form.requestSubmit(); // the solver holds it until the answer is found
          }
        });
        solver.addEventListener("error", fail);
        document.body.append(solver);
      })
      .catch(fail);
  }

  form.addEventListener("submit", (event) => {
    if (elapsed && !elapsed.value) {
      // Kept when the form comes back (an error, the proof-of-work step): the time is
      // that of the first try.
      elapsed.value = String(Math.round(performance.now() - shown));
    }
    if (wantsProof && !field.value && !solverLoaded && !failed) {
      event.preventDefault();
      sendWhenLoaded = true;
      if (status) {
        status.textContent = status.dataset.waiting;
      }
      start();
    }
  });

  if (wantsProof) {
    if (field.dataset.start === "load") {
      start();
    } else {
      form.addEventListener("focusin", start, { once: true });
    }
  }
})();
