// A fake Anthropic Messages API (POST /v1/messages, stream: true) speaking the real server-sent
// event sequence: message_start, content_block_start/delta/stop for text and tool_use blocks,
// message_delta with the stop reason and usage, message_stop. Errors use Anthropic's error body.
import { type FakeServer, sleep, splitText, startFakeServer } from "./fake-server";

export function startFakeAnthropic(): Promise<FakeServer> {
  return startFakeServer({
    route: "/v1/messages",
    errorBody: (status, message) => ({
      type: "error",
      error: {
        type:
          status === 429
            ? "rate_limit_error"
            : status >= 500
              ? "api_error"
              : status === 401
                ? "authentication_error"
                : "invalid_request_error",
        message,
      },
    }),
    async speak(reply, res, request) {
      const send = (event: string, data: Record<string, unknown>) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
      const usage =
        reply.kind === "stream" ? (reply.usage ?? { input: 12, output: 7 }) : { input: 12, output: 0 };
      send("message_start", {
        message: {
          id: "msg_fake",
          type: "message",
          role: "assistant",
          model: String(request.body.model),
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input, output_tokens: 1 },
        },
      });
      const text = reply.text ?? "";
      let index = 0;
      if (text) {
        send("content_block_start", { index, content_block: { type: "text", text: "" } });
        for (const part of splitText(text, reply.kind === "stream" ? (reply.chunks ?? 3) : 2)) {
          send("content_block_delta", { index, delta: { type: "text_delta", text: part } });
          if (reply.kind === "broken") {
            res.destroy();
            return;
          }
          await sleep(reply.kind === "stream" ? (reply.chunkDelayMs ?? 0) : 0);
        }
        send("content_block_stop", { index });
        index++;
      }
      const toolCalls = reply.kind === "stream" ? (reply.toolCalls ?? []) : [];
      for (const [i, call] of toolCalls.entries()) {
        send("content_block_start", {
          index,
          content_block: { type: "tool_use", id: call.id ?? `toolu_${i}`, name: call.name, input: {} },
        });
        const json = call.rawArgs ?? JSON.stringify(call.args);
        for (const part of splitText(json, 2))
          send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: part } });
        send("content_block_stop", { index });
        index++;
      }
      send("message_delta", {
        delta: { stop_reason: toolCalls.length > 0 ? "tool_use" : "end_turn", stop_sequence: null },
        usage: { output_tokens: usage.output },
      });
      send("message_stop", {});
      res.end();
    },
  });
}
