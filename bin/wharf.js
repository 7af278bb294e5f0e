#!/usr/bin/env node
// Entry point for the `wharf` command: loads the TypeScript sources through tsx, then runs the CLI.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
