// A fake OpenAI-compatible chat completions API (POST /v1/chat/completions, stream: true) speaking
// the real chunk format: chat.completion.chunk deltas for content and tool calls, a finish reason,
// a final usage chunk (stream_options.include_usage) and data: [DONE]. Errors use OpenAI's error body.
import { type FakeServer, sleep, splitText, startFakeServer } from "./fake-server";

export function startFakeOpenAi(): Promise<FakeServer> {
  return startFakeServer({
    route: "/chat/completions",
    errorBody: (status, message) => ({
      error: {
        message,
        type:
          status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error",
        code: null,
        param: null,
      },
    }),
    async speak(reply, res, request) {
      const base = {
        id: "chatcmpl-fake",
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model: String(request.body.model),
      };
      const send = (data: Record<string, unknown>) =>
        res.write(`data: ${JSON.stringify({ ...base, ...data })}\n\n`);
      send({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
      const text = reply.text ?? "";
      for (const part of splitText(text, reply.kind === "stream" ? (reply.chunks ?? 3) : 2)) {
        send({ choices: [{ index: 0, delta: { content: part }, finish_reason: null }] });
        if (reply.kind === "broken") {
          res.destroy();
          return;
        }
        await sleep(reply.kind === "stream" ? (reply.chunkDelayMs ?? 0) : 0);
      }
      const toolCalls = reply.kind === "stream" ? (reply.toolCalls ?? []) : [];
      for (const [i, call] of toolCalls.entries()) {
        const json = call.rawArgs ?? JSON.stringify(call.args);
        const [first, ...rest] = splitText(json, 2);
        send({
          choices: [
            {
              index: 0,
              delta: {
                tool_calls: [
                  {
                    index: i,
                    id: call.id ?? `call_${i}`,
                    type: "function",
                    function: { name: call.name, arguments: first ?? "" },
                  },
                ],
              },
              finish_reason: null,
            },
          ],
        });
        for (const part of rest)
          send({
            choices: [
              {
                index: 0,
                delta: { tool_calls: [{ index: i, function: { arguments: part } }] },
                finish_reason: null,
              },
            ],
          });
      }
      send({
        choices: [{ index: 0, delta: {}, finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop" }],
      });
      const usage =
        reply.kind === "stream" ? (reply.usage ?? { input: 12, output: 7 }) : { input: 12, output: 0 };
      if ((request.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
        send({
          choices: [],
          usage: {
            prompt_tokens: usage.input,
            completion_tokens: usage.output,
            total_tokens: usage.input + usage.output,
          },
        });
      }
      res.write("data: [DONE]\n\n");
      res.end();
    },
  });
}
