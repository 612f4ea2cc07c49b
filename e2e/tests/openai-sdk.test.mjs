// OpenAI's own Node SDK, unchanged, against Penora's OpenAI-compatible API with a personal
// API key: list models, a completion, a streamed completion with usage, and an error.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { BASE, uniqueEmail } from "./helpers.mjs";

let client;

async function post(path, body, token) {
  const response = await fetch(BASE + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token && { Authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

before(async () => {
  const { access_token } = await post("/api/v1/auth/signup", {
    email: uniqueEmail("sdk"),
    password: "correct horse 7",
  });
  const key = await post("/api/v1/api-keys", { name: "sdk", scopes: ["generate", "read"] }, access_token);
  // No retries: a failure should show as itself, at once.
  client = new OpenAI({ apiKey: key.secret, baseURL: BASE + "/v1", maxRetries: 0 });
});

test("models.list includes the offline model", async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.ok(ids.includes("offline-demo"), `models: ${ids.join(", ")}`);
});

test("chat.completions.create answers with content and usage", async () => {
  const completion = await client.chat.completions.create({
    model: "offline-demo",
    messages: [{ role: "user", content: "A haiku about rain" }],
  });
  assert.equal(completion.object, "chat.completion");
  assert.equal(completion.model, "offline-demo");
  const [choice] = completion.choices;
  assert.equal(choice.message.role, "assistant");
  assert.ok(choice.message.content.trim().length > 0);
  assert.ok(["stop", "length"].includes(choice.finish_reason));
  const { prompt_tokens, completion_tokens, total_tokens } = completion.usage;
  assert.ok(prompt_tokens > 0 && completion_tokens > 0);
  assert.equal(total_tokens, prompt_tokens + completion_tokens);
});

test("a streamed completion yields text chunks, then usage", async () => {
  const stream = await client.chat.completions.create({
    model: "offline-demo",
    messages: [{ role: "user", content: "A haiku about rain" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let textChunks = 0;
  let usage = null;
  let finish = null;
  for await (const chunk of stream) {
    const [choice] = chunk.choices;
    if (choice?.delta?.content) {
      text += choice.delta.content;
      textChunks += 1;
    }
    if (choice?.finish_reason) finish = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(textChunks > 1, `${textChunks} text chunks`);
  assert.ok(text.trim().length > 0);
  assert.ok(["stop", "length"].includes(finish));
  assert.ok(usage, "no usage chunk");
  assert.ok(usage.completion_tokens > 0);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

test("an unknown model is a NotFoundError with code model_not_found, as from OpenAI", async () => {
  await assert.rejects(
    client.chat.completions.create({
      model: "no-such-model",
      messages: [{ role: "user", content: "Hello" }],
    }),
    (err) => {
      assert.ok(err instanceof OpenAI.NotFoundError, `not a NotFoundError: ${err}`);
      assert.equal(err.status, 404);
      assert.equal(err.code, "model_not_found");
      assert.equal(err.param, "model");
      return true;
    },
  );
});
