#!/usr/bin/env node
// The entry point stays plain JavaScript so that `npm link` and `npx idx` work from the
// compiled output; everything else lives in src/ and is built by `npm run build`.
import { main } from '../dist/cli/main.js';

const code = await main(process.argv);
process.exitCode = code;

// Safety net: once the command is done, a socket a library failed to close (seen with
// node_redis reconnecting during shutdown) must not keep the process alive for minutes.
setTimeout(() => process.exit(code), 3000).unref();
