// Shared by the scripts: read one JSON request from stdin, write one JSON
// answer to stdout. A script that cannot do its work answers
// {"error": "..."} and exits 1, so that a Go test tells a library's refusal
// (a verdict) from a broken script.

export async function readRequest() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

export function answer(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

export function fail(err) {
  answer({ error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
}

// lowerKeys returns headers with lowercase names: one value each.
export function lowerKeys(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}
