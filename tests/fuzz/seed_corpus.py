#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/): realistic valid inputs and a
few hostile ones. Run once to (re)create the seeds; inputs the fuzzers found (crashes fixed since) are
added to the same folders by hand, named found-<what>, and are never rewritten here."""
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    d = root / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def js(v):
    return json.dumps(v, ensure_ascii=False)


def deep(n, open_="[", close="]"):
    return open_ * n + close * n


# --- submission_parser: the intake API's body -------------------------------------------------------
good = {
    "workflow": "community_replies", "channel": "linkedin", "agent": "social-agent-3", "confidence": 0.62,
    "prompt": "Write a LinkedIn post", "output": "We are proud to be the first licensed ...",
    "citations": [{"url": "https://example.com/report", "published_at": "2024-06-01", "title": "Report"}],
    "permalink": "https://www.linkedin.com/feed/update/example",
    "suggested_fix": "Replace the licence claim", "metadata": {"campaign": "launch-week", "n": [1, {"k": True}]},
    "callback_url": "https://agents.example.com/desk-callback"}
write("submission_parser", "spec_example.json", js(good))
write("submission_parser", "minimal.json",
      '{"workflow":"paid_ads","channel":"meta","agent":"a","confidence":1,"output":"Hi"}')
write("submission_parser", "nurture_personal_data.json", js({
    "workflow": "email_nurture", "channel": "email", "agent": "nurture-1", "confidence": 0.95,
    "output": "Hi Ana, call me on +44 20 7946 0958 or write to ana@example.com. Unsere Preise: 49 €.",
    "metadata": {"segment": "trial", "locale": "de-DE"}}))
write("submission_parser", "thought_many_citations.json", js({
    "workflow": "thought_leadership", "channel": "blog", "agent": "writer", "confidence": 0.5,
    "output": "An outline", "citations": [
        {"url": f"https://example.org/paper/{i}", "published_at": f"20{10 + i}-0{1 + i % 9}-1{i % 9}"}
        for i in range(8)]}))
# Hostile: duplicate field, nesting past the limit, a number no double holds, bad UTF-8, NUL, wrong types.
write("submission_parser", "hostile_duplicate.json",
      '{"workflow":"paid_ads","workflow":"email_nurture","channel":"c","agent":"a","confidence":1,"output":"x"}')
write("submission_parser", "hostile_deep.json",
      '{"workflow":"paid_ads","channel":"c","agent":"a","confidence":1,"output":"x","metadata":{"a":'
      + deep(40) + '}}')
write("submission_parser", "hostile_huge_number.json",
      '{"workflow":"paid_ads","channel":"c","agent":"a","confidence":1e400,"output":"x"}')
write("submission_parser", "hostile_bad_utf8.json",
      b'{"workflow":"paid_ads","channel":"c","agent":"a","confidence":1,"output":"\xc3\x28\xff"}')
write("submission_parser", "hostile_nul.json",
      '{"workflow":"paid_ads","channel":"c","agent":"a","confidence":1,"output":"x\\u0000y",'
      '"metadata":{"k\\u0000":1}}')
write("submission_parser", "hostile_types.json",
      '{"workflow":["paid_ads"],"channel":1,"agent":null,"confidence":"0.5","output":{},'
      '"citations":{"url":"x"},"callback_url":"http://127.0.0.1:22/"}')

# --- Slack payloads (interactive, slash commands) -----------------------------------------------------
click = {
    "type": "block_actions", "team": {"id": "T9TK3CUKW", "domain": "example"},
    "user": {"id": "UA8RXUSPL", "username": "jtorrance", "name": "jtorrance", "team_id": "T9TK3CUKW"},
    "api_app_id": "AABA1ABCD", "token": "9s8d9as89d8as9d8as989",
    "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": "CBR2V3XEX",
                  "is_ephemeral": False},
    "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
    "channel": {"id": "CBR2V3XEX", "name": "ai-escalation"},
    "message": {"type": "message", "bot_id": "BAH5CA16Z", "ts": "1548261231.000200", "text": "x", "blocks": []},
    "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209",
    "actions": [{"type": "button", "action_id": "desk.accept", "block_id": "esc:ESC-000042:g0:actions",
                 "text": {"type": "plain_text", "text": "Accept", "emoji": True}, "value": "ESC-000042",
                 "style": "primary", "action_ts": "1548426417.840180"}],
    "enterprise": None, "is_enterprise_install": False}
submit = {
    "type": "view_submission", "team": {"id": "T1234567", "domain": "example"},
    "user": {"id": "U1234567", "username": "lead", "name": "lead", "team_id": "T1234567"},
    "trigger_id": "1234.5678.abcd",
    "view": {"id": "VNHU13V36", "team_id": "T1234567", "type": "modal", "callback_id": "desk.rationale",
             "private_metadata": '{"escalation_id":"ESC-000042","macro":"accept","generation":0}',
             "state": {"values": {
                 "rationale": {"rationale_input": {"type": "plain_text_input",
                                                   "value": "Claim verified with legal memo 12 \u00e9"}},
                 "route_to": {"route_select": {"type": "static_select",
                                               "selected_option": {"text": {"type": "plain_text", "text": "Sales"},
                                                                   "value": "sales"}}},
                 "note": {"note_input": {"type": "plain_text_input", "value": None}},
                 "pick": {"pick_user": {"type": "users_select", "selected_user": "U999"}}}},
             "hash": "156663117.cd33ad1f", "root_view_id": "VNHU13V36", "previous_view_id": None},
    "response_urls": [], "is_enterprise_install": False}
closed = {"type": "view_closed", "team": {"id": "T1234567"}, "user": {"id": "U1234567", "team_id": "T1234567"},
          "view": {"id": "VNHU13V36", "callback_id": "desk.rationale", "private_metadata": "{}"},
          "is_cleared": False}
slash = {
    "token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0001", "team_domain": "example",
    "channel_id": "C2147483705", "channel_name": "ai-escalation", "user_id": "U2147483697", "user_name": "steve",
    "command": "/escalate",
    "text": "<https://example.slack.com/archives/C1/p123|this post> pricing claim &lt;looks&gt; wrong &amp; <@U0A11CE01|alice>",
    "api_app_id": "A123456", "response_url": "https://hooks.slack.com/commands/T0001/1234/abcd",
    "trigger_id": "13345224609.738474920.8088930838d88f008e0"}
rota = dict(slash, command="/rota", text="override duty_lead <@U0B0B0002> 2h")
for name, payload in [("block_actions", click), ("view_submission", submit), ("view_closed", closed),
                      ("slash_escalate", slash), ("slash_rota", rota)]:
    write("slack_payloads", name + ".json", js(payload))
write("slack_payloads", "hostile_deep.json", '{"type":"block_actions","x":' + deep(100) + '}')
write("slack_payloads", "hostile_wrong_types.json",
      js({"type": "view_submission", "user": {"id": "u-lower"}, "view": {"id": 5, "state": {"values": {"b": []}}}}))
write("slack_payloads", "hostile_unterminated.json", '{"type":"block_actions","user":{"id":"U1"},"actions":[{"a')
write("slack_payloads", "hostile_text.txt", "<@U1|x><https://a|b><&amp;&lt;&gt;<http://<<>>&am")

# --- Slack Socket Mode frames ------------------------------------------------------------------------
def envelope(kind, payload, **extra):
    frame = {"envelope_id": "dbdd0ef3-1543-4f94-bfb4-133d0e6c1545", "type": kind, "payload": payload,
             "accepts_response_payload": kind != "events_api"}
    frame.update(extra)
    return js(frame)


event = {"token": "x", "team_id": "T0001", "api_app_id": "A1", "type": "event_callback",
         "event_id": "Ev08MFMKH6", "event_time": 1234567890,
         "event": {"type": "app_mention", "user": "U0A11CE01", "text": "<@U0BOT> help", "ts": "1515449522.000016",
                   "channel": "C0LAN2Q65", "event_ts": "1515449522000016"}}
write("slack_envelope", "hello.json", js({"type": "hello", "num_connections": 1,
                                          "debug_info": {"host": "applink-7fc4fdbb64-4x5xq", "build_number": 10,
                                                         "approximate_connection_time": 18060},
                                          "connection_info": {"app_id": "A01K58AR4RF"}}))
write("slack_envelope", "disconnect.json", js({"type": "disconnect", "reason": "refresh_requested",
                                               "debug_info": {"host": "applink-7fc4fdbb64-4x5xq"}}))
write("slack_envelope", "events_api.json", envelope("events_api", event, retry_attempt=1, retry_reason="timeout"))
write("slack_envelope", "interactive_click.json", envelope("interactive", click))
write("slack_envelope", "interactive_submit.json", envelope("interactive", submit))
write("slack_envelope", "slash_commands.json", envelope("slash_commands", slash))
write("slack_envelope", "hostile_unknown_type.json", envelope("shortcut_v9", {"type": "x"}))
write("slack_envelope", "hostile_deep.json", '{"envelope_id":"e","type":"interactive","payload":{"a":'
      + deep(70) + '}}')
write("slack_envelope", "hostile_id.json", js({"envelope_id": "\u0000\"\\\u001f" + "x" * 300, "type": "interactive",
                                               "payload": {}}))
write("slack_envelope", "hostile_numbers.json",
      '{"envelope_id":"e","type":"events_api","retry_attempt":1e400,"payload":{"event_id":-0.0,"n":-9223372036854775809}}')

# --- MCP JSON-RPC ----------------------------------------------------------------------------------------
def rpc(**m):
    return js(dict(jsonrpc="2.0", **m))


write("mcp_json_rpc", "initialize.json", rpc(id=1, method="initialize", params={
    "protocolVersion": "2025-11-25", "capabilities": {"elicitation": {}},
    "clientInfo": {"name": "agent", "version": "1.0.0"}}))
write("mcp_json_rpc", "initialized.json", rpc(method="notifications/initialized"))
write("mcp_json_rpc", "tools_list.json", rpc(id="a-1", method="tools/list", params={"cursor": "x"}))
write("mcp_json_rpc", "tools_call.json", rpc(id=7, method="tools/call", params={
    "name": "await_decision", "arguments": {"escalation_id": "ESC-000042", "timeout_seconds": 600},
    "_meta": {"progressToken": "p-1"}}))
write("mcp_json_rpc", "response.json", rpc(id=3, result={}))
write("mcp_json_rpc", "error_response.json", rpc(id="s", error={"code": -32601, "message": "no"}))
write("mcp_json_rpc", "hostile_batch.json", "[" + rpc(id=1, method="ping") + "," + rpc(method="x") + "]")
write("mcp_json_rpc", "hostile_ids.json", '{"jsonrpc":"2.0","id":1.5,"method":"ping"}')
write("mcp_json_rpc", "hostile_big_id.json", '{"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"}')
write("mcp_json_rpc", "hostile_deep.json", '{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":' + deep(100) + '}}')
write("mcp_json_rpc", "hostile_bad_utf8.json", b'{"jsonrpc":"2.0","id":"\xed\xa0\x80","method":"ping"}')

# --- config_loader: the YAML config ----------------------------------------------------------------------
example = (pathlib.Path(__file__).resolve().parents[2] / "deploy" / "desk.example.yaml").read_text()
write("config_loader", "desk_example.yaml", example)
write("config_loader", "minimal.yaml", """desk: {channel: esc}
sla: {backup_ping: 1m, triage: 2m, decision: 1h}
people:
  a: {name: A, slack: U0A}
  d: {name: D, slack: U0D}
roles:
  duty_lead: {person: a}
  backup: {person: a}
  marketing_director: {person: d}
  legal_oncall: {person: d}
workflows:
  w: {visibility: public, confidence_threshold: 0.5}
""")
write("config_loader", "hostile_aliases.yaml",
      "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\ndesk: *c\n")
write("config_loader", "hostile_deep.yaml", "desk: " + deep(500) + "\n")
write("config_loader", "hostile_types.yaml",
      "desk: [1]\nsla: {triage: 99999999999999999999d, backup_ping: -1m, decision: 0s}\n"
      "limits: {burst: 1e999, connections: 0x7fffffffffffffff}\n? [complex, key]\n: value\n")
write("config_loader", "hostile_tabs.yaml", "desk:\n\tchannel: x\n  channel: y\n")
