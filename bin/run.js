#!/usr/bin/env node
// The `ledger` launcher (package.json "bin"): @oclif/core 4's documented run.js for ESM projects.
// Commands load from dist/commands (package.json "oclif.commands"), so build first
// (`npm run setup`, which `npm start` and `npm test` run for you).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
