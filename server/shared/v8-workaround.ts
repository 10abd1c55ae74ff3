// Node 20's V8 can abort the process ("Fatal error … unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation) when optimized code that inlined an array builtin
// (map, some, forEach, …) is deoptimized lazily while inside the builtin's callback. Seen in the
// intent path under load: decideActions (policy/engine.ts), marked for deoptimization by a change
// elsewhere, crashed the process on its way back into an inlined `actions.map`. With TurboFan not
// inlining array builtins there is no such frame to rebuild: in 4 open-loop intent runs the crash
// came 3 times without this flag and 0 times in 3 runs with it (ADR 0022). Imported first by every
// long-running process (the web server's instrumentation, the workers, the benches).
import v8 from "node:v8";

v8.setFlagsFromString("--no-turbo-inline-array-builtins");
