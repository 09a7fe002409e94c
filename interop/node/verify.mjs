// verify.mjs: verify one delivery with an official Node library.
//
// stdin:  {"library": "octokit" | "stripe" | "standardwebhooks" | "svix",
//          "secret": "...", "headers": {"Name": "value"}, "body": "...",
//          "now": <unix seconds, used where the library takes a clock>}
// stdout: {"ok": true} or {"ok": false, "reason": "<the library's error>"}

import { verify as octokitVerify } from "@octokit/webhooks-methods";
import Stripe from "stripe";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { readRequest, answer, fail, lowerKeys } from "./io.mjs";

async function verify({ library, secret, headers, body, now }) {
  const h = lowerKeys(headers);
  switch (library) {
    case "octokit": {
      // verify throws on a signature it cannot read at all; false on a mismatch.
      const ok = await octokitVerify(secret, body, h["x-hub-signature-256"] ?? "");
      return ok ? { ok } : { ok, reason: "signature does not match" };
    }
    case "stripe": {
      const stripe = new Stripe("sk_test_hooklab_interop");
      const receivedAt = typeof now === "number" ? now * 1000 : undefined;
      stripe.webhooks.constructEvent(body, h["stripe-signature"] ?? "", secret, 300, undefined, receivedAt);
      return { ok: true };
    }
    case "standardwebhooks":
      new StandardWebhook(secret).verify(body, h);
      return { ok: true };
    case "svix":
      new SvixWebhook(secret).verify(body, h);
      return { ok: true };
  }
  throw new Error(`unknown library ${JSON.stringify(library)}`);
}

let req;
try {
  req = await readRequest();
} catch (err) {
  fail(err);
}
try {
  answer(await verify(req));
} catch (err) {
  if (String(err).includes("unknown library")) fail(err);
  answer({ ok: false, reason: String(err && err.message ? err.message : err) });
}
