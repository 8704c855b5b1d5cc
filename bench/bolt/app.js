// Reference Bolt app for bench/bolt_compare_bench.cpp: Socket Mode, one listener that does what
// `vigil serve` does for the same envelope (an app_mention with no question): the envelope is
// acked (Bolt acks Events API envelopes before running the listener), then one Web API call,
// chat.postEphemeral to the person who mentioned the app.
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
  logLevel: LogLevel.ERROR,
  installerOptions: { clientOptions: { slackApiUrl } },
});

const app = new App({
  token,
  receiver,
  logLevel: LogLevel.ERROR,
  clientOptions: { slackApiUrl },
});

const text = 'Tell me what to look at, e.g. `@vigil investigate checkout 5xx since 14:02`.';

app.event('app_mention', async ({ event, client }) => {
  await client.chat.postEphemeral({
    channel: event.channel,
    user: event.user,
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
