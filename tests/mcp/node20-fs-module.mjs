// The real 'fs', plus the globSync Node 20 lacks (see node20-fs.mjs).
export * from 'node:fs';
export { default } from 'node:fs';
export function globSync() {
  throw new Error('fs.globSync needs Node.js 22 or later');
}
