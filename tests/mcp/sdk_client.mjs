// An agent written with the official MCP TypeScript SDK, knowing nothing of the desk's REST API:
// lists the tools, checks and submits a draft, waits for the human decision, reads it back.
// Driven by tests/integration/desk_end_to_end_test.cpp, which decides in Slack while this waits:
//   node sdk_client.mjs <mcp-url> <token>
// It prints one line per step ("AWAITING <id>", "PROGRESS <message>", "DECIDED <json>") and exits 0
// only when every check held.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import assert from 'node:assert/strict';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node sdk_client.mjs <mcp-url> <token>');
  process.exit(2);
}

const say = (line) => process.stdout.write(line + '\n');

const client = new Client({ name: 'desk-test-agent', version: '1.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
await client.connect(transport);
assert.equal(client.getServerVersion().name, 'escalation-desk');
assert.match(client.getInstructions() ?? '', /await_decision/);

// The tools, each with an input and an output schema (the SDK checks structured results against them).
const { tools } = await client.listTools();
assert.deepEqual(tools.map((t) => t.name).sort(),
                 ['await_decision', 'check_draft', 'get_escalation', 'list_escalations', 'submit_draft']);
for (const t of tools) {
  assert.ok(t.description.length > 40, `${t.name} explains itself`);
  assert.equal(t.inputSchema.type, 'object');
  assert.equal(t.outputSchema.type, 'object');
}

const draft = {
  workflow: 'community_replies',
  channel: 'linkedin',
  agent: 'mcp-test-agent',
  confidence: 0.62,
  output: 'Thanks for the kind words, see you at the meetup!',
};

// A check stores nothing and alerts nobody.
const checked = await client.callTool({ name: 'check_draft', arguments: draft });
assert.equal(checked.isError, false);
assert.equal(checked.structuredContent.verdict, 'escalated');
assert.equal(checked.structuredContent.submission_id, undefined);

// Bad input is the tool's error, with the REST API's {error, message, field}.
const refused = await client.callTool({ name: 'submit_draft', arguments: { ...draft, confidence: 1.5 } });
assert.equal(refused.isError, true);
assert.equal(refused.structuredContent.error, 'out_of_range');
assert.equal(refused.structuredContent.field, 'confidence');

// Submitted twice with one idempotency key: one escalation.
const submit = () => client.callTool({ name: 'submit_draft', arguments: { ...draft, idempotency_key: 'mcp-draft-1' } });
const first = await submit();
assert.equal(first.isError, false);
assert.equal(first.structuredContent.verdict, 'escalated');
const id = first.structuredContent.escalation.id;
assert.match(first.content[0].text, new RegExp(id));
const again = await submit();
assert.equal(again.structuredContent.escalation.id, id);

// Waiting without a decision answers "held" at the timeout.
const held = await client.callTool({ name: 'await_decision', arguments: { id, timeout_seconds: 0 } });
assert.equal(held.structuredContent.outcome, 'held');
assert.equal(held.structuredContent.escalation.status, 'open');

// Now wait for the person on duty; the test decides in Slack meanwhile.
say(`AWAITING ${id}`);
const progress = [];
const decided = await client.callTool(
  { name: 'await_decision', arguments: { id, timeout_seconds: 120 } },
  undefined,
  {
    timeout: 130_000,
    resetTimeoutOnProgress: true,
    onprogress: (p) => {
      progress.push(p);
      say(`PROGRESS ${p.message}`);
    },
  },
);
assert.equal(decided.isError, false);
assert.equal(decided.structuredContent.outcome, 'decided');
const decision = decided.structuredContent.escalation.decision;
assert.equal(decision.macro, 'accept');
assert.ok(decision.rationale.length > 10);
assert.match(decided.content[0].text, /Accepted by/);
assert.ok(progress.some((p) => /triaged/.test(p.message)), 'the triage came as a progress notification');
say(`DECIDED ${JSON.stringify(decision)}`);

// Read back, and listed among the accepted ones.
const read = await client.callTool({ name: 'get_escalation', arguments: { id } });
assert.equal(read.structuredContent.status, 'accepted');
assert.ok(read.structuredContent.timeline.some((row) => row.kind === 'decision.accepted'));
const listed = await client.callTool({ name: 'list_escalations', arguments: { status: 'accepted' } });
assert.ok(listed.structuredContent.escalations.some((e) => e.id === id));

// Another agent's escalation, or none at all, is not found.
const missing = await client.callTool({ name: 'get_escalation', arguments: { id: 'ESC-999999' } });
assert.equal(missing.isError, true);
assert.equal(missing.structuredContent.error, 'not_found');

await client.close();
say('DONE');
