// The official MCP conformance suite (@modelcontextprotocol/conformance, npm) against the real binary,
// for the 2025-11-25 and 2026-07-28 revisions, each with the scenarios that cannot apply to the desk
// listed, and why, in conformance-expected-<revision>.yml. The suite fails on any other failure, and
// on a listed one that starts passing.
//   node conformance.test.mjs <escalation-desk binary> <config>
//
// The suite sends no Authorization header, while the desk refuses every MCP request without a token.
// So the suite talks to a small proxy here that adds the token and passes everything else (Host and
// Origin included, for the DNS-rebinding checks) through unchanged.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [binary, config] = process.argv.slice(2);
if (!binary || !config) {
  console.error('usage: node conformance.test.mjs <escalation-desk> <config.yaml>');
  process.exit(2);
}
const suite = join(here, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
if (!existsSync(suite)) {
  console.error('the conformance suite is not installed: run scripts/install-deps.sh --tests');
  process.exit(77);  // skipped (CTest's SKIP_RETURN_CODE)
}
const token = 'conformance-agent-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'desk-mcp-conformance-'));

/// The config with the per-token rate lifted: the suite sends hundreds of requests a minute with one
/// token, which the desk's flood control would rightly refuse (it has tests of its own).
function configWithoutRateLimit() {
  const text = readFileSync(config, 'utf8');
  const lifted = text.replace(/requests_per_minute: \d+/, 'requests_per_minute: 0');
  if (lifted === text) throw new Error(`${config} has no limits.requests_per_minute to lift`);
  const path = join(dir, 'desk.yaml');
  writeFileSync(path, lifted);
  return path;
}

function startDesk() {
  const desk = spawn(binary, ['sandbox', '--config', configWithoutRateLimit(), '--database', join(dir, 'desk.db'),
                              '--listen', '127.0.0.1:0'],
                     { env: { ...process.env, DESK_INTAKE_TOKENS: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  desk.stderr.on('data', (d) => { log += d; });
  return new Promise((resolve, reject) => {
    let out = '';
    desk.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve({ desk, port: Number(m[1]), log: () => log });
    });
    desk.on('exit', (code) => reject(new Error(`the desk exited (${code}) before listening:\n${log}`)));
  });
}

/// Forwards every request to the desk with the token added; bodies and streams pass as they come.
function startProxy(deskPort) {
  const proxy = http.createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    const upstream = http.request({ host: '127.0.0.1', port: deskPort, method: req.method, path: req.url, headers },
                                  (answer) => {
                                    res.writeHead(answer.statusCode, answer.headers);
                                    answer.pipe(res);
                                  });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(proxy)));
}

function runSuite(port, revision) {
  // The suite imports fs.globSync (Node 22) for a command not run here; node20-fs.mjs supplies it on
  // older Node.
  const args = ['--import', join(here, 'node20-fs.mjs'), suite, 'server', '--url', `http://localhost:${port}/mcp`,
                '--suite', 'all', '--spec-version', revision, '--expected-failures', join(here, `conformance-expected-${revision}.yml`),
                '-o', join(dir, `results-${revision}`)];
  return new Promise((resolve) => {
    const run = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    run.stdout.on('data', (d) => { out += d; });
    run.stderr.on('data', (d) => { out += d; });
    run.on('exit', (code) => resolve({ code, out }));
  });
}

let failed = false;
const { desk, port, log } = await startDesk();
const proxy = await startProxy(port);
try {
  for (const revision of ['2025-11-25', '2026-07-28']) {
    const { code, out } = await runSuite(proxy.address().port, revision);
    console.log(`--- conformance ${revision}: exit ${code}\n${out}`);
    if (code !== 0) failed = true;
  }
} finally {
  proxy.close();
  desk.kill('SIGTERM');
  await new Promise((resolve) => desk.on('exit', resolve));
  if (failed) console.log(`--- desk log\n${log()}`);
  if (!process.env.KEEP_RESULTS) rmSync(dir, { recursive: true, force: true });
  else console.log(`results kept in ${dir}`);
}
process.exit(failed ? 1 : 0);
