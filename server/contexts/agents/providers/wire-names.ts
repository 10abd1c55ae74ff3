// Provider APIs allow only [a-zA-Z0-9_-] in tool names; ours are dotted (memory.search). One
// reversible mapping for every provider: "." ↔ "__".
export function toWireName(name: string): string {
  return name.replaceAll(".", "__");
}

export function fromWireName(name: string): string {
  return name.replaceAll("__", ".");
}
