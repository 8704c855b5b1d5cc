// The Vigil sandbox page: a small Slack client over the emulator's JSON API (see sandbox_web.h).
// Plain JavaScript, no build step, nothing loaded from elsewhere. Live updates: a long-poll on
// /api/state?since=<version>; each answer is the whole workspace, rendered with keyed updates so
// an edited message changes in place.
'use strict';

(() => {
  const S = {
    version: 0,
    data: null,
    me: localStorage.getItem('vigil-sandbox-me') || '',
    channel: '',
    thread: null,           // {channel, ts}
    dismissed: new Set(),   // ephemeral ids closed by the person
    seen: new Map(),        // message key → time first shown
    modalKey: '',           // the modal on screen (id + JSON), so typing survives updates
    dialogOpen: false,
    shownChannel: '',       // what was rendered last, to start a newly opened one at its end
    shownThread: '',
    closedViews: new Set(),  // submitted or closed here (an update in flight may still list them)
  };
  // For tests and the curious: when the page was loaded and how many updates it has applied.
  window.sandbox = { loadedAt: Date.now(), updates: 0, state: () => S.data };

  const $ = (id) => document.getElementById(id);
  // Sent with every POST: the server takes posts only from a page it served.
  const pageToken = document.querySelector('meta[name="vigil-sandbox-token"]')?.content || '';
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // ------------------------------------------------------------------ text
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const unslack = (s) => String(s ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

  const EMOJI = {
    white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', hourglass: '⏳',
    hourglass_flowing_sand: '⏳', rocket: '🚀', red_circle: '🔴', large_orange_circle: '🟠',
    large_green_circle: '🟢', large_yellow_circle: '🟡', large_blue_circle: '🔵', mag: '🔍',
    information_source: 'ℹ️', arrow_forward: '▶️', wrench: '🔧', white_small_square: '▫️',
    speech_balloon: '💬', repeat: '🔁', raised_hand: '✋', octagonal_sign: '🛑', no_entry_sign: '🚫',
    no_entry: '⛔', lock: '🔒', eyes: '👀', rotating_light: '🚨', fire: '🔥', tada: '🎉',
    stopwatch: '⏱️', clipboard: '📋', memo: '📝', bulb: '💡', gear: '⚙️', zap: '⚡',
    thumbsup: '👍', '+1': '👍', heavy_minus_sign: '➖', arrows_counterclockwise: '🔄',
    construction: '🚧', link: '🔗', bell: '🔔', pause_button: '⏸️', stop_button: '⏹️',
  };
  const emoji = (html) => html.replace(/:([a-z0-9_+\-]+):/g, (m, name) => EMOJI[name] || m);

  function userName(id) {
    const u = (S.data?.users || []).find((x) => x.id === id);
    return u ? u.name : id;
  }
  function channelName(id) {
    const c = (S.data?.channels || []).find((x) => x.id === id);
    return c ? c.name : id;
  }

  // Slack's mrkdwn: *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes, <@U…>, <#C…|name>,
  // <url|label>, :emoji:. Everything is escaped first; only our own tags are produced.
  function inline(segment) {
    const keep = [];
    const hold = (html) => { keep.push(html); return `\u0000${keep.length - 1}\u0000`; };
    let s = segment.replace(/<([^<>]+)>/g, (m, inner) => {
      const [target, label] = inner.split('|');
      if (target.startsWith('@')) return hold(`<span class="mention">@${esc(label || userName(target.slice(1)))}</span>`);
      if (target.startsWith('#')) return hold(`<span class="mention">#${esc(label || channelName(target.slice(1)))}</span>`);
      if (target.startsWith('!')) return hold(`<span class="mention">@${esc((label || target.slice(1)).replace(/^subteam\^/, ''))}</span>`);
      if (/^(https?:|mailto:)/.test(target)) {
        return hold(`<a href="${esc(unslack(target))}" target="_blank" rel="noopener noreferrer">${esc(unslack(label || target))}</a>`);
      }
      return m;
    });
    s = esc(unslack(s));
    s = s.replace(/`([^`\n]+)`/g, (m, code) => hold(`<code>${code}</code>`));
    s = s.replace(/(^|[\s(>\u0000])\*([^*\n]+)\*(?=$|[\s).,:;!?\u0000])/g, '$1<b>$2</b>');
    s = s.replace(/(^|[\s(>\u0000])_([^_\n]+)_(?=$|[\s).,:;!?\u0000])/g, '$1<i>$2</i>');
    s = s.replace(/(^|[\s(>\u0000])~([^~\n]+)~(?=$|[\s).,:;!?\u0000])/g, '$1<s>$2</s>');
    s = emoji(s);
    s = s.split('\n').map((line) => (line.startsWith('&gt; ') ? `<blockquote>${line.slice(5)}</blockquote>` : line)).join('\n');
    s = s.replace(/\n/g, '<br>').replace(/<\/blockquote><br>/g, '</blockquote>');
    return s.replace(/\u0000(\d+)\u0000/g, (m, i) => keep[Number(i)]);
  }
  function mrkdwn(text) {
    const parts = String(text ?? '').split('```');
    return parts.map((p, i) => {
      if (i % 2 === 1) return `<pre>${esc(unslack(p.replace(/^\n/, '').replace(/\n$/, '')))}</pre>`;
      return inline(p);
    }).join('');
  }
  const plain = (t) => emoji(esc(t?.text ?? t ?? ''));
  const textObject = (t) => (!t ? '' : t.type === 'mrkdwn' ? mrkdwn(t.text) : plain(t));

  // ------------------------------------------------------------------ Block Kit
  function element(e, blockId) {
    if (e.type === 'button') {
      const style = e.style === 'primary' ? 'btn-primary' : e.style === 'danger' ? 'btn-danger' : '';
      const confirm = e.confirm ? ` data-confirm="${esc(JSON.stringify(e.confirm))}"` : '';
      return `<button type="button" class="btn ${style}" data-testid="button" data-block-id="${esc(blockId)}"` +
        ` data-action-id="${esc(e.action_id)}"${confirm}>${plain(e.text)}</button>`;
    }
    if (e.type === 'image') return `<span class="b-unsupported">[image: ${esc(e.alt_text)}]</span>`;
    return `<span class="b-unsupported">[${esc(e.type)}]</span>`;
  }
  function block(b, inModal) {
    switch (b.type) {
      case 'header': return `<div class="b-header">${plain(b.text)}</div>`;
      case 'divider': return '<hr class="b-divider">';
      case 'section': {
        const fields = Array.isArray(b.fields) && b.fields.length
          ? `<div class="b-fields">${b.fields.map((f) => `<div class="b-field">${textObject(f)}</div>`).join('')}</div>` : '';
        const accessory = b.accessory ? `<div class="b-accessory">${element(b.accessory, b.block_id)}</div>` : '';
        return `<div class="b-section"><div class="b-section-main"><div class="text">${textObject(b.text)}</div>${fields}</div>${accessory}</div>`;
      }
      case 'context':
        return `<div class="b-context">${(b.elements || []).map((e) => `<span>${e.type === 'image' ? `[${esc(e.alt_text)}]` : textObject(e)}</span>`).join('')}</div>`;
      case 'actions':
        return `<div class="b-actions">${(b.elements || []).map((e) => element(e, b.block_id)).join('')}</div>`;
      case 'image': return `<div class="b-unsupported">[image: ${esc(b.alt_text)}]</div>`;
      case 'input': {
        const el = b.element || {};
        const id = `in-${esc(b.block_id)}-${esc(el.action_id)}`;
        const initial = esc(el.initial_value || '');
        const placeholder = el.placeholder ? ` placeholder="${esc(el.placeholder.text || '')}"` : '';
        const field = el.multiline
          ? `<textarea id="${id}" rows="4" maxlength="${Number(el.max_length) || 3000}"${placeholder}>${initial}</textarea>`
          : `<input id="${id}" maxlength="${Number(el.max_length) || 3000}" value="${initial}"${placeholder}>`;
        const attrs = `data-block-id="${esc(b.block_id)}" data-action-id="${esc(el.action_id)}" data-optional="${b.optional ? 1 : 0}"`;
        if (!inModal) return `<div class="b-unsupported">[input]</div>`;
        return `<div class="b-input" ${attrs}><label for="${id}">${plain(b.label)}${b.optional ? ' <span class="when">(optional)</span>' : ''}</label>${field}${b.hint ? `<div class="when">${plain(b.hint)}</div>` : ''}<div class="error field-error" data-testid="field-error"></div></div>`;
      }
      default: return `<div class="b-unsupported">[${esc(b.type)} block]</div>`;
    }
  }
  const blocks = (list, inModal) => (list || []).map((b) => block(b, inModal)).join('');

  function attachment(a) {
    // Legacy attachment colours: good, warning, danger, or a hex value (shown as neutral).
    const tone = ['good', 'warning', 'danger'].includes(a.color) ? a.color : 'neutral';
    const fields = (a.fields || []).map((f) => `<div><b>${esc(f.title)}</b><br>${mrkdwn(f.value)}</div>`).join('');
    return `<div class="attachment tone-${tone}">` +
      (a.pretext ? `<div>${mrkdwn(a.pretext)}</div>` : '') +
      (a.title ? `<div class="title">${mrkdwn(a.title)}</div>` : '') +
      (a.text ? `<div class="text">${mrkdwn(a.text)}</div>` : '') +
      (fields ? `<div class="b-fields">${fields}</div>` : '') + '</div>';
  }

  // ------------------------------------------------------------------ messages
  const cmpTs = (a, b) => {
    const [ai, af = ''] = String(a).split('.');
    const [bi, bf = ''] = String(b).split('.');
    return Number(ai) - Number(bi) || af.padEnd(6, '0').localeCompare(bf.padEnd(6, '0'));
  };
  // One of seven avatar colours (classes: the page's CSP allows no inline styles).
  const color = (s) => `c${[...String(s)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 7}`;

  function author(m) {
    const bot = S.data.bot;
    if (m.user && m.user === bot.user_id) return { name: 'vigil', badge: 'APP', key: 'vigil' };
    if (m.bot_id) return { name: m.username || m.bot_id, badge: /demo/i.test(m.username || '') ? 'DEMO BOT' : 'BOT', key: m.bot_id };
    return { name: userName(m.user), badge: '', key: m.user };
  }
  function when(key) {
    if (!S.seen.has(key)) S.seen.set(key, new Date());
    return S.seen.get(key).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  function messageHtml(m, { replies = 0, parent = false } = {}) {
    const a = author(m);
    const badge = a.badge ? `<span class="badge ${a.badge.startsWith('DEMO') ? 'demo' : ''}">${a.badge}</span>` : '';
    const content = (m.blocks && m.blocks.length) ? blocks(m.blocks) : `<div class="text">${mrkdwn(m.text)}</div>`;
    const atts = (m.attachments || []).map(attachment).join('') +
      (m.files || []).map((f) => `<details class="file" data-testid="file"><summary>${emoji(":page_facing_up:")} ` +
        `${esc(f.title || f.name)} <span class="size">${esc(f.name)}, ${f.size} bytes</span></summary>` +
        `<pre>${esc(f.preview)}</pre></details>`).join('');
    const reactions = (m.reactions || []).length
      ? `<div class="reactions">${m.reactions.map((r) => `<span class="reaction" data-testid="reaction">${emoji(`:${esc(r)}:`)} 1</span>`).join('')}</div>` : '';
    const more = replies > 0 && !parent
      ? `<button type="button" class="replies" data-testid="replies" data-open-thread="${esc(m.ts)}">${replies} ${replies === 1 ? 'reply' : 'replies'}</button>` : '';
    return `<div class="avatar ${color(a.key)}">${esc(a.name.slice(0, 1).toUpperCase())}</div>` +
      `<div class="body"><div><span class="who">${esc(a.name)}</span>${badge}<span class="when">${when(m.channel + ':' + m.ts)}</span>` +
      `${m.edited ? '<span class="edited" data-testid="edited">(edited)</span>' : ''}</div>${content}${atts}${reactions}${more}</div>`;
  }
  function ephemeralHtml(e) {
    const content = (e.blocks && e.blocks.length) ? blocks(e.blocks) : `<div class="text">${mrkdwn(e.text)}</div>`;
    return `<div class="avatar ${color('vigil')}">V</div><div class="body">` +
      `<div class="only-you"><span class="who">vigil</span><span class="badge">APP</span>` +
      `<span>${e.in_channel ? 'Visible to everyone' : 'Only visible to you'}</span>` +
      `<button type="button" class="btn btn-plain" data-dismiss="${esc(e.id)}">Dismiss</button></div>${content}</div>`;
  }

  // Keeps existing elements whose content did not change; changed ones flash (a live edit).
  function reconcile(container, items, jump) {
    const nearBottom = jump || container.scrollHeight - container.scrollTop - container.clientHeight < 80;
    const existing = new Map();
    for (const el of container.children) existing.set(el.dataset.key, el);
    let prev = null;
    for (const it of items) {
      let el = existing.get(it.key);
      if (!el) {
        el = document.createElement('div');
        el.dataset.key = it.key;
        el.innerHTML = it.html;
        el._html = it.html;
      } else {
        existing.delete(it.key);
        if (el._html !== it.html) {
          el.innerHTML = it.html;
          el._html = it.html;
          el.classList.remove('flash');
          void el.offsetWidth;
          el.classList.add('flash');
        }
      }
      el.className = it.cls + (el.classList.contains('flash') ? ' flash' : '');
      for (const [k, v] of Object.entries(it.data)) el.dataset[k] = v;
      const want = prev ? prev.nextSibling : container.firstChild;
      if (want !== el) container.insertBefore(el, want);
      prev = el;
    }
    for (const el of existing.values()) el.remove();
    if (nearBottom) container.scrollTop = container.scrollHeight;
  }

  function isTop(m) { return !m.thread_ts || m.thread_ts === m.ts; }

  function renderMessages() {
    const d = S.data;
    const inChannel = d.messages.filter((m) => m.channel === S.channel);
    const replyCount = new Map();
    for (const m of inChannel) if (!isTop(m)) replyCount.set(m.thread_ts, (replyCount.get(m.thread_ts) || 0) + 1);
    const mine = d.ephemerals.filter((e) => (e.user === S.me || e.in_channel) && !S.dismissed.has(e.id) && e.channel === S.channel);

    const items = [];
    for (const m of inChannel.filter(isTop)) {
      items.push({ order: [m.ts, 0], key: `m:${m.ts}`, cls: 'msg', html: messageHtml(m, { replies: replyCount.get(m.ts) || 0 }),
        data: { testid: 'message', ts: m.ts, channel: m.channel } });
    }
    for (const e of mine.filter((x) => !x.thread_ts)) {
      items.push({ order: [e.anchor, 1], key: `e:${e.id}`, cls: 'msg ephemeral', html: ephemeralHtml(e),
        data: { testid: 'ephemeral', ephemeral: e.id, channel: e.channel } });
    }
    items.sort((a, b) => cmpTs(a.order[0], b.order[0]) || a.order[1] - b.order[1]);
    reconcile($('messages'), items, S.shownChannel !== S.channel);
    S.shownChannel = S.channel;

    const thread = $('thread');
    if (!S.thread) { thread.hidden = true; S.shownThread = ''; return; }
    thread.hidden = false;
    const parent = d.messages.find((m) => m.channel === S.thread.channel && m.ts === S.thread.ts);
    $('thread-channel').textContent = `#${channelName(S.thread.channel)}`;
    const titems = [];
    if (parent) {
      titems.push({ order: [parent.ts, 0], key: `p:${parent.ts}`, cls: 'msg parent', html: messageHtml(parent, { parent: true }),
        data: { testid: 'thread-parent', ts: parent.ts, channel: parent.channel } });
    }
    for (const m of d.messages.filter((x) => x.channel === S.thread.channel && x.thread_ts === S.thread.ts && x.ts !== S.thread.ts)) {
      titems.push({ order: [m.ts, 0], key: `m:${m.ts}`, cls: 'msg', html: messageHtml(m), data: { testid: 'message', ts: m.ts, channel: m.channel } });
    }
    for (const e of d.ephemerals.filter((x) => (x.user === S.me || x.in_channel) && !S.dismissed.has(x.id) &&
      x.channel === S.thread.channel && x.thread_ts === S.thread.ts)) {
      titems.push({ order: [e.anchor, 1], key: `e:${e.id}`, cls: 'msg ephemeral', html: ephemeralHtml(e), data: { testid: 'ephemeral', ephemeral: e.id, channel: e.channel } });
    }
    titems.sort((a, b) => cmpTs(a.order[0], b.order[0]) || a.order[1] - b.order[1]);
    const threadKey = `${S.thread.channel}:${S.thread.ts}`;
    reconcile($('thread-messages'), titems, S.shownThread !== threadKey);
    S.shownThread = threadKey;
  }

  function renderChrome() {
    const d = S.data;
    $('banner-text').textContent = d.banner || 'Sandbox';
    $('workspace').textContent = d.workspace;
    const status = $('status');
    status.textContent = d.connected ? 'Vigil connected' : 'waiting for Vigil…';
    status.className = `status ${d.connected ? 'online' : 'offline'}`;

    const people = d.users.filter((u) => !u.is_bot);
    if (!people.some((u) => u.id === S.me)) S.me = people[0]?.id || '';
    const select = $('me');
    const options = people.map((u) => `<option value="${esc(u.id)}">${esc(u.name)} (${esc(u.role)})</option>`).join('');
    if (select._html !== options) { select.innerHTML = options; select._html = options; }
    select.value = S.me;

    const actions = $('header-actions');
    const ahtml = d.actions.map((a) => `<button type="button" class="btn" data-testid="action-${esc(a.name)}" data-run="${esc(a.name)}">${esc(a.label)}</button>`).join('');
    if (actions._html !== ahtml) { actions.innerHTML = ahtml; actions._html = ahtml; }

    if (!d.channels.some((c) => c.id === S.channel)) S.channel = d.default_channel || d.channels[0]?.id || '';
    const tops = (id) => d.messages.filter((m) => m.channel === id && isTop(m)).length;
    const chtml = d.channels.map((c) => `<li data-channel="${esc(c.id)}" class="${c.id === S.channel ? 'active' : ''}">` +
      `${c.is_private ? '🔒' : '#'} ${esc(c.name)}<span class="count">${tops(c.id) || ''}</span></li>`).join('');
    const list = $('channels');
    if (list._html !== chtml) { list.innerHTML = chtml; list._html = chtml; }
    $('channel-header').textContent = `#${channelName(S.channel)}`;
    $('composer-text').placeholder = `Message #${channelName(S.channel)} — try /triage help, /runbook list, @vigil investigate …`;
  }

  // ------------------------------------------------------------------ modals and confirm dialogs
  function overlay(html) {
    const o = $('overlay');
    o.innerHTML = html;
    o.hidden = false;
    return o;
  }
  function closeOverlay() {
    const o = $('overlay');
    o.hidden = true;
    o.innerHTML = '';
    S.modalKey = '';
  }
  function confirmDialog(c) {
    S.dialogOpen = true;
    return new Promise((resolve) => {
      const style = c.style === 'danger' ? 'btn-danger solid' : 'btn-primary';
      const o = overlay(`<div class="dialog" role="dialog" data-testid="confirm"><div class="title">${plain(c.title || { text: 'Are you sure?' })}</div>` +
        `<div class="content">${textObject(c.text)}</div><div class="buttons">` +
        `<button type="button" class="btn" data-testid="confirm-deny">${plain(c.deny || { text: 'Cancel' })}</button>` +
        `<button type="button" class="btn ${style}" data-testid="confirm-ok">${plain(c.confirm || { text: 'Yes' })}</button></div></div>`);
      const done = (ok) => { S.dialogOpen = false; closeOverlay(); resolve(ok); renderModal(); };
      o.querySelector('[data-testid=confirm-ok]').onclick = () => done(true);
      o.querySelector('[data-testid=confirm-deny]').onclick = () => done(false);
    });
  }
  function renderModal() {
    if (S.dialogOpen) return;
    const view = (S.data?.views || []).find((v) => v.user === S.me && !S.closedViews.has(v.id));
    if (!view) { if (S.modalKey) closeOverlay(); return; }
    const key = view.id + JSON.stringify(view.view);
    if (key === S.modalKey) return;
    const v = view.view || {};
    const o = overlay(`<form class="dialog" data-testid="modal" data-view="${esc(view.id)}">` +
      `<div class="title">${plain(v.title)}</div><div class="content">${blocks(v.blocks, true)}<div class="error"></div></div>` +
      `<div class="buttons"><button type="button" class="btn" data-testid="modal-close">${plain(v.close || { text: 'Cancel' })}</button>` +
      (v.submit ? `<button type="submit" class="btn btn-primary" data-testid="modal-submit">${plain(v.submit)}</button>` : '') +
      '</div></form>');
    S.modalKey = key;
    const form = o.querySelector('form');
    o.querySelector('[data-testid=modal-close]').onclick = async () => {
      S.closedViews.add(view.id);
      closeOverlay();
      await post('/api/view_close', { user: S.me, view_id: view.id });
    };
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const values = {};
      for (const input of form.querySelectorAll('.b-input')) {
        const field = input.querySelector('textarea, input');
        const text = field.value.trim();
        if (!text && input.dataset.optional !== '1') {
          form.querySelector('.content > .error').textContent = 'Please fill in the required fields.';
          return;
        }
        (values[input.dataset.blockId] ||= {})[input.dataset.actionId] = text;
      }
      const r = await post('/api/view_submission', { user: S.me, view_id: view.id, values });
      for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
      if (r.ok && r.errors && Object.keys(r.errors).length) {
        // The app answered `response_action: errors`: the modal stays, each message under its input.
        for (const [blockId, message] of Object.entries(r.errors)) {
          const input = [...form.querySelectorAll('.b-input')].find((i) => i.dataset.blockId === blockId);
          if (input) input.querySelector('.field-error').textContent = String(message);
        }
        return;
      }
      if (r.ok) {
        S.closedViews.add(view.id);
        closeOverlay();
      }
    };
  }

  // ------------------------------------------------------------------ API
  function toast(text, error) {
    const t = document.createElement('div');
    t.className = `toast${error ? ' error' : ''}`;
    t.dataset.testid = 'toast';
    t.textContent = text;
    $('toasts').appendChild(t);
    setTimeout(() => t.remove(), error ? 8000 : 5000);
  }
  async function post(path, body) {
    try {
      const headers = { 'Content-Type': 'application/json', 'X-Vigil-Sandbox-Token': pageToken };
      const r = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
      const j = await r.json().catch(() => ({ ok: false, error: `HTTP ${r.status}` }));
      if (!j.ok) toast(`Not sent: ${j.error || r.status}`, true);
      return j;
    } catch (e) {
      toast(`Not sent: ${e.message}`, true);
      return { ok: false };
    }
  }
  async function sendText(text, threadTs) {
    text = text.trim();
    if (!text) return;
    if (text.startsWith('/')) {
      const space = text.search(/\s/);
      const command = space < 0 ? text : text.slice(0, space);
      const rest = space < 0 ? '' : text.slice(space + 1).trim();
      await post('/api/command', { user: S.me, channel: threadTs ? S.thread.channel : S.channel, command, text: rest, thread_ts: threadTs || '' });
    } else {
      await post('/api/message', { user: S.me, channel: threadTs ? S.thread.channel : S.channel, text, thread_ts: threadTs || '' });
    }
  }

  function render() {
    if (!S.data) return;
    renderChrome();
    renderMessages();
    renderModal();
  }

  async function poll() {
    for (;;) {
      try {
        const r = await fetch(`/api/state?since=${S.version}`, { cache: 'no-store' });
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        const data = await r.json();
        S.version = data.version;
        S.data = data;
        window.sandbox.updates += 1;
        render();
      } catch (e) {
        const status = $('status');
        status.textContent = 'the sandbox is not answering';
        status.className = 'status offline';
        await sleep(1000);
      }
    }
  }

  // ------------------------------------------------------------------ events
  function wire() {
    $('me').onchange = (ev) => {
      S.me = ev.target.value;
      localStorage.setItem('vigil-sandbox-me', S.me);
      S.modalKey = '';
      render();
    };
    $('channels').onclick = (ev) => {
      const li = ev.target.closest('li[data-channel]');
      if (!li) return;
      S.channel = li.dataset.channel;
      render();
    };
    $('header-actions').onclick = async (ev) => {
      const b = ev.target.closest('button[data-run]');
      if (!b) return;
      b.disabled = true;
      const r = await post(`/api/run/${encodeURIComponent(b.dataset.run)}`, {});
      b.disabled = false;
      if (r.ok && r.note) toast(r.note);
    };
    const composer = (form, textarea, thread) => {
      const submit = async () => {
        const text = textarea.value;
        textarea.value = '';
        await sendText(text, thread ? S.thread?.ts : '');
      };
      form.onsubmit = (ev) => { ev.preventDefault(); submit(); };
      textarea.onkeydown = (ev) => {
        if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); submit(); }
      };
    };
    composer($('composer'), $('composer-text'), false);
    composer($('thread-composer'), $('thread-text'), true);
    $('thread-close').onclick = () => { S.thread = null; render(); };

    document.body.addEventListener('click', async (ev) => {
      const open = ev.target.closest('[data-open-thread]');
      if (open) {
        S.thread = { channel: S.channel, ts: open.dataset.openThread };
        render();
        return;
      }
      const dismiss = ev.target.closest('[data-dismiss]');
      if (dismiss) {
        S.dismissed.add(dismiss.dataset.dismiss);
        render();
        return;
      }
      const button = ev.target.closest('button[data-action-id]');
      if (!button || button.closest('#overlay')) return;
      const holder = button.closest('[data-key]');
      if (!holder) return;
      if (button.dataset.confirm) {
        const ok = await confirmDialog(JSON.parse(button.dataset.confirm));
        if (!ok) return;
      }
      await post('/api/action', {
        user: S.me,
        channel: holder.dataset.channel,
        message_ts: holder.dataset.ts || '',
        ephemeral_id: holder.dataset.ephemeral || '',
        block_id: button.dataset.blockId,
        action_id: button.dataset.actionId,
      });
    });
  }

  wire();
  poll();
})();
