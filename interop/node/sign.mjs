// sign.mjs: sign one delivery with an official Node library.
//
// stdin:  {"library": "octokit" | "stripe" | "standardwebhooks" | "svix",
//          "secret": "...", "id": "msg_...", "timestamp": <unix seconds>,
//          "body": "..."}
// stdout: {"headers": {"Name": "value"}}: the signature headers the
//         library writes (with the id and timestamp headers of the schemes
//         that sign them).

import { sign as octokitSign } from "@octokit/webhooks-methods";
import Stripe from "stripe";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { readRequest, answer, fail } from "./io.mjs";

async function sign({ library, secret, id, timestamp, body }) {
  switch (library) {
    case "octokit":
      return { "X-Hub-Signature-256": await octokitSign(secret, body) };
    case "stripe": {
      const stripe = new Stripe("sk_test_hooklab_interop");
      return { "Stripe-Signature": stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }) };
    }
    case "standardwebhooks":
      return {
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": new StandardWebhook(secret).sign(id, new Date(timestamp * 1000), body),
      };
    case "svix":
      return {
        "svix-id": id,
        "svix-timestamp": String(timestamp),
        "svix-signature": new SvixWebhook(secret).sign(id, new Date(timestamp * 1000), body),
      };
  }
  throw new Error(`unknown library ${JSON.stringify(library)}`);
}

try {
  answer({ headers: await sign(await readRequest()) });
} catch (err) {
  fail(err);
}
