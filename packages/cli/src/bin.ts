#!/usr/bin/env node
/**
 * The `kassa` executable, as built: dist/bin.js, run with plain `node`.
 *
 * In this repository the workspace packages (@kassa/core, @kassa/server, this one) export their
 * TypeScript sources by default, so tsx, Vite and the type checker read them with no build step;
 * their built JavaScript is exported under the `kassa-dist` condition. Node 20 sets conditions
 * only with a flag, and a bin cannot rely on its flags being passed, so when the packages here
 * resolve to sources this entry adds the condition with a resolve hook before loading anything
 * of Kassa. Installed from packed tarballs the packages' exports name dist/ (publishConfig): the
 * hook, which costs a few hundred milliseconds of start-up, is then not registered at all.
 */
import { register } from 'node:module';

if (import.meta.resolve('@kassa/core').endsWith('.ts')) register('./dist-condition.js', import.meta.url);
await import('./main.js');
