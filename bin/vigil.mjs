#!/usr/bin/env node
// The `vigil` command (package.json "bin"): runs the TypeScript CLI through tsx's loader, so
// `npx vigil users add ada --role admin` works from a checkout without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main();
