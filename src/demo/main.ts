import { runDemo } from './run-demo.js';

// The `npm run demo` entry: results on stdout, steps and progress on stderr.
process.exitCode = await runDemo({
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
  tty: Boolean(process.stderr.isTTY),
  ...(process.stderr.columns !== undefined && { columns: process.stderr.columns }),
});
