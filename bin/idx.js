#!/usr/bin/env node
// The entry point stays plain JavaScript so that `npm link` and `npx idx` work from the
// compiled output; everything else lives in src/ and is built by `npm run build`.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
