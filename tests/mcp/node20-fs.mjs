// Preloaded with `node --import` by conformance.test.mjs. The conformance suite imports globSync from
// 'fs' (added in Node 22) for its tier-check command, which the tests never run; on Node 20 the import
// alone would fail. This hook gives the suite's modules an 'fs' with every real export plus a globSync
// that says what it lacks. On Node 22 and later the real one is left alone.
import { register } from 'node:module';
import * as fs from 'node:fs';

if (typeof fs.globSync !== 'function') register('./node20-fs-hooks.mjs', import.meta.url);
