// Structured JSON logs (pino). Every log line of a command or a handled message carries its
// correlation id through a child logger.
import pino from "pino";

export type Logger = pino.Logger;

export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? "info",
    base: { process: options.name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
