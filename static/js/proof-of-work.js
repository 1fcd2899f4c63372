// The login's proof-of-work step (cases/accounts/slowdown.py), for a username that is
// being slowed down. The page holds a signed ALTCHA v2 challenge; this finds the counter
// whose PBKDF2/SHA-256 key starts with the challenge's key prefix, using the browser's
// own WebCrypto, and puts challenge and solution in the form's hidden field. A submit
// before the answer is found waits for it. No library, nothing from another host, no
// inline code: the strict Content-Security-Policy allows this file as it is.
"use strict";

(() => {
  const data = document.getElementById("proof-of-work-challenge");
  const field = document.getElementById("id_proof_of_work");
  const status = document.getElementById("proof-of-work-status");
  if (!data || !field || !status) {
    return;
  }
  const form = field.form;
  const challenge = JSON.parse(data.textContent);
  const parameters = challenge.parameters;

  const fromHex = (hex) => Uint8Array.from(hex.match(/../g) || [], (pair) => parseInt(pair, 16));
  const toHex = (bytes) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

  // The key for one counter: PBKDF2 of (nonce || counter as 4 bytes, big-endian), salted.
  async function derivedKey(nonce, salt, counter) {
    const password = new Uint8Array(nonce.length + 4);
    password.set(nonce);
    new DataView(password.buffer).setUint32(nonce.length, counter, false);
    const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt, iterations: parameters.cost },
      key,
      parameters.keyLength * 8,
    );
    return toHex(new Uint8Array(bits));
  }

  async function solve() {
    if (parameters.algorithm !== "PBKDF2/SHA-256") {
      throw new Error(`unexpected algorithm ${parameters.algorithm}`);
    }
    const nonce = fromHex(parameters.nonce);
    const salt = fromHex(parameters.salt);
    const prefix = parameters.keyPrefix.toLowerCase();
    // A few counters at a time: WebCrypto may spread them over the processor's cores.
    const batch = Math.min(Math.max(navigator.hardwareConcurrency || 2, 2), 8);
    const started = performance.now();
    for (let first = 0; first <= 0xffffffff; first += batch) {
      const counters = Array.from({ length: batch }, (_, offset) => first + offset);
      const keys = await Promise.all(counters.map((counter) => derivedKey(nonce, salt, counter)));
      const found = keys.findIndex((key) => key.startsWith(prefix));
      if (found >= 0) {
        return {
          counter: counters[found],
          derivedKey: keys[found],
          time: Math.round(performance.now() - started),
        };
      }
    }
    throw new Error("no solution");
  }

  let submitWhenSolved = false;
  let failed = false;
  form.addEventListener("submit", (event) => {
    if (!field.value && !failed) {
      event.preventDefault();
      submitWhenSolved = true;
      status.textContent = status.dataset.waiting;
    }
  });

  solve().then(
    (solution) => {
      field.value = btoa(JSON.stringify({ challenge, solution }));
      if (submitWhenSolved) {
        form.submit();
      } else {
        status.textContent = status.dataset.done;
      }
    },
    () => {
      failed = true; // the form goes as it is; the server asks again
      status.textContent = status.dataset.failed;
    },
  );
})();
