// Reference Bolt app for bench/bolt_compare_bench.cpp and bench/answer_burst_bench.cpp: Socket
// Mode, one listener that answers the slash command `/triage` as `vigil serve` does, as far as the
// answer goes: ack the envelope, then one POST to the command's response_url, an ephemeral reply
// (a section block and its fallback text). `/triage help` gets the usage text; `/triage <text>`
// gets a "Starting run …" line, as Vigil's first answer (Bolt starts no run).
//
// Environment: SLACK_API_URL (the emulator's http://127.0.0.1:PORT/api/), SLACK_BOT_TOKEN,
// SLACK_APP_TOKEN.
'use strict';
const { App, LogLevel, SocketModeReceiver } = require('@slack/bolt');

const slackApiUrl = process.env.SLACK_API_URL;
const token = process.env.SLACK_BOT_TOKEN;
const appToken = process.env.SLACK_APP_TOKEN;
if (!slackApiUrl || !token || !appToken) {
  console.error('usage: SLACK_API_URL=... SLACK_BOT_TOKEN=... SLACK_APP_TOKEN=... node app.js');
  process.exit(2);
}

// App's own clientOptions do not reach the Socket Mode client (it opens its connection with
// apps.connections.open through a WebClient built from the receiver's installerOptions), so the
// receiver is built here with the emulator's URL too.
const receiver = new SocketModeReceiver({
  appToken,
  logLevel: LogLevel.WARN, // pong timeouts and reconnections show in the bench's log
  installerOptions: { clientOptions: { slackApiUrl } },
});

const app = new App({
  token,
  receiver,
  logLevel: LogLevel.ERROR,
  clientOptions: { slackApiUrl },
});

// Vigil's triage_usage() (handlers/command_parser.cpp), word for word.
const usage = [
  '*Usage*',
  '`/triage <what is wrong>` start a triage run here',
  '`/triage status [run]` a run\'s status (or the active runs in this channel)',
  '`/triage list` recent runs',
  '`/triage cancel <run>` stop a run',
  '`/triage timeline <run>` a run\'s full timeline',
  '`/triage resume-auto <backend:x|skill:y>` resume paused automatic triage',
  '`/triage help` this help',
].join('\n');

let runs = 0;
app.command('/triage', async ({ ack, command, respond }) => {
  await ack();
  runs += command.text.trim() === 'help' ? 0 : 1;
  const text =
    command.text.trim() === 'help'
      ? usage
      : `:rocket: Starting run \`${String(runs).padStart(8, '0')}\`; follow it in the thread I'm posting here.`;
  await respond({
    response_type: 'ephemeral',
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  });
});

function stop() {
  app.stop().finally(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

app.start().catch((err) => {
  console.error(`bolt app failed to start: ${err}`);
  process.exit(1);
});
