// Module hooks for node20-fs.mjs: 'fs' imported from the conformance suite resolves to node20-fs-module.mjs.
export async function resolve(specifier, context, next) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL?.includes('/@modelcontextprotocol/conformance/'))
    return { url: new URL('./node20-fs-module.mjs', import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
