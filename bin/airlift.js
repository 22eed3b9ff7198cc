#!/usr/bin/env node
// The CLI runs the TypeScript sources directly: no build step for users to remember.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
