// The shop's HTML: served as strings, no front-end build. The registration page posts with fetch() and follows the
// mail task over the status route's Server-Sent Events (EventSource), showing each state as it arrives.
import type { CaughtMail } from './outbox';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #23301f; background: #f6f3ea; }
  header { background: #3d5a2a; color: #fff; padding: 14px 32px; display: flex; align-items: center; gap: 24px; }
  header .logo { font-weight: 700; font-size: 20px; letter-spacing: .3px; }
  header nav a { color: #e4efd6; margin-right: 18px; text-decoration: none; }
  header .fw { margin-left: auto; font-size: 13px; opacity: .8; }
  main { max-width: 980px; margin: 28px auto; padding: 0 24px; display: grid; grid-template-columns: 1fr 380px; gap: 28px; }
  .products { display: grid; grid-template-columns: repeat(3, 1fr); gap: 14px; align-content: start; }
  .product { background: #fff; border-radius: 10px; padding: 14px; box-shadow: 0 1px 3px #0001; }
  .product .pic { text-align: center; background: #eef3e4; border-radius: 8px; padding: 12px 0; }
  .product .pic i { display: inline-block; width: 52px; height: 52px; border-radius: 50%; line-height: 52px; color: #fff; font: 700 22px/52px Georgia, serif; box-shadow: inset -6px -6px 0 #0002; }
  .product b { display: block; margin-top: 8px; } .product span { color: #6a7560; font-size: 14px; }
  .card { background: #fff; border-radius: 12px; padding: 22px; box-shadow: 0 2px 8px #0002; align-self: start; }
  h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 18px; margin: 0 0 14px; }
  label { display: block; font-size: 14px; margin-top: 12px; }
  input { width: 100%; padding: 9px 10px; border: 1px solid #c9cfbf; border-radius: 7px; font-size: 15px; }
  button { margin-top: 16px; width: 100%; padding: 10px; border: 0; border-radius: 7px; background: #5b8a3a; color: #fff; font-size: 16px; cursor: pointer; }
  button:disabled { background: #9db38a; }
  #message { margin-top: 12px; min-height: 1.5em; } #message.error { color: #a12a1c; } #message.ok { color: #2f6a1f; }
  #states { list-style: none; padding: 0; margin: 10px 0 0; font-size: 14px; }
  #states li { padding: 4px 8px; border-left: 4px solid #c9cfbf; margin-bottom: 4px; background: #f8f8f4; }
  #states .state { font-family: ui-monospace, monospace; font-weight: 700; margin-right: 6px; }
  #states .SUCCESS { border-color: #4c9a2a; } #states .RETRY { border-color: #d89a1c; } #states .FAILURE { border-color: #b3261e; }
  #states .STARTED, #states .PROGRESS { border-color: #4a7fb5; }
  .mail { background: #fff; border-radius: 10px; padding: 16px 20px; margin-bottom: 14px; box-shadow: 0 1px 3px #0001; }
  .mail pre { white-space: pre-wrap; font: 14px/1.5 ui-monospace, monospace; background: #f8f8f4; padding: 10px; border-radius: 6px; }
  .narrow { display: block; max-width: 760px; }
`;

function layout(title: string, framework: string | null, content: string, script = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Celeriac Greengrocer</title><style>${STYLE}</style></head>
<body><header><span class="logo">Celeriac Greengrocer</span><nav><a href="/">Shop</a><a href="/outbox">Outbox</a></nav>${framework ? `<span class="fw">served by ${escapeHtml(framework)} · tasks by celeriac</span>` : ''}</header>
${content}${script ? `<script>${script}</script>` : ''}</body></html>`;
}

// The page's script: plain browser JavaScript, no build step.
const SCRIPT = `
const form = document.getElementById('register');
const message = document.getElementById('message');
const states = document.getElementById('states');
const button = form.querySelector('button');
let stream = null;

function say(text, kind) { message.textContent = text; message.className = kind; }

function describe(s) {
  if (s.state === 'SUCCESS') return s.result ? String(s.result) : 'done';
  if (s.error) return (s.error.type ? s.error.type + ': ' : '') + s.error.message;
  if (s.progress && s.progress.step) return s.progress.step + (s.progress.attempt > 1 ? ' (attempt ' + s.progress.attempt + ')' : '');
  if (s.state === 'PENDING') return 'waiting for a worker';
  if (s.state === 'STARTED') return 'a worker took it';
  return '';
}

function show(s) {
  const li = document.createElement('li');
  li.className = s.state;
  const name = document.createElement('span');
  name.className = 'state';
  name.textContent = s.state;
  li.append(name, document.createTextNode(describe(s)));
  states.append(li);
}

function follow(taskId) {
  if (stream) stream.close();
  stream = new EventSource('/tasks/' + encodeURIComponent(taskId) + '/events');
  stream.addEventListener('status', (ev) => {
    const s = JSON.parse(ev.data);
    show(s);
    if (s.ready) {
      stream.close();
      button.disabled = false;
      if (s.state === 'SUCCESS') say('Check your inbox for the activation e-mail (the demo catches it in the Outbox).', 'ok');
      else say('The activation e-mail could not be sent (' + s.state + ').', 'error');
    }
  });
  stream.onerror = () => { if (stream.readyState === EventSource.CLOSED) { button.disabled = false; say('Lost the status stream; reload to try again.', 'error'); } };
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  states.replaceChildren();
  say('Registering…', '');
  button.disabled = true;
  const data = Object.fromEntries(new FormData(form));
  let res, body;
  try {
    res = await fetch('/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
    body = await res.json().catch(() => ({ message: res.status + ' ' + res.statusText }));
  } catch (err) {
    button.disabled = false;
    return say('The shop cannot be reached: ' + err.message, 'error');
  }
  if (res.status !== 202) {
    button.disabled = false;
    return say(body.message || ('Error ' + res.status), 'error');
  }
  say('Registered. Sending your activation e-mail (task ' + body.task_id + ')…', '');
  document.getElementById('task').textContent = body.task_id;
  follow(body.task_id);
});
`;

// A coloured round "photo" per product (no images to serve, no emoji font needed).
const PRODUCTS: [string, string, string][] = [
  ['#c9b98f', 'Celeriac', '€2.40 / piece'],
  ['#e8892b', 'Carrots', '€1.80 / kg'],
  ['#9c5a6b', 'Shallots', '€3.10 / 500 g'],
  ['#7fa650', 'Savoy cabbage', '€2.10 / piece'],
  ['#c8492f', 'Boskoop apples', '€2.90 / kg'],
  ['#e3d6b0', 'Parsley root', '€1.60 / bunch'],
];

export function shopPage(framework: string): string {
  const products = PRODUCTS.map(([pic, name, price]) => `<div class="product"><div class="pic"><i style="background:${pic}">${name[0]}</i></div><b>${name}</b><span>${price}</span></div>`).join('');
  return layout(
    'Create your account',
    framework,
    `<main><section><h1>Fresh from the field</h1><p>Seasonal vegetables, delivered on Fridays. Create an account to order.</p><div class="products">${products}</div></section>
<section class="card"><h2>Create your account</h2>
<form id="register" novalidate>
<label>E-mail<input name="email" type="email" autocomplete="email" required></label>
<label>Username<input name="username" autocomplete="username" required></label>
<label>Password<input name="password" type="password" autocomplete="new-password" required></label>
<button type="submit">Register</button>
</form>
<div id="message" role="status"></div>
<div style="font-size:12px;color:#6a7560">task <span id="task">–</span></div>
<ul id="states" aria-live="polite"></ul>
</section></main>`,
    SCRIPT,
  );
}

const linkify = (text: string) => escapeHtml(text).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);

export function outboxPage(mails: readonly CaughtMail[] | null, relay: string | null): string {
  let content: string;
  if (mails === null) content = `<p>Mail goes out through <code>${escapeHtml(relay ?? 'SMTP_URL')}</code> (SMTP_URL): nothing is caught here.</p>`;
  else if (mails.length === 0) content = '<p id="empty">No mail yet. Register on the <a href="/">shop page</a>.</p>';
  else {
    content = mails
      .map(
        (m) => `<article class="mail" data-id="${m.id}"><div><b>To:</b> <span class="to">${escapeHtml(m.to.join(', '))}</span></div>
<div><b>Subject:</b> <span class="subject">${escapeHtml(m.subject)}</span></div><div style="font-size:13px;color:#6a7560">${escapeHtml(m.receivedAt)}</div>
<pre class="body">${linkify(m.text)}</pre></article>`,
      )
      .join('\n');
  }
  return layout('Outbox', null, `<main class="narrow"><h1>Outbox</h1><p>Every e-mail the shop sent, caught by its embedded SMTP server (newest first).</p>${content}</main>`);
}

export function activationPage(username: string | null): string {
  const content = username
    ? `<h1 id="result">Account activated</h1><p>Welcome, <b id="username">${escapeHtml(username)}</b>: your account is active. Happy shopping!</p>`
    : '<h1 id="result">Unknown activation link</h1><p>This link is not one the shop sent, or it expired (registrations not activated in time are removed). Register on the <a href="/">shop page</a>.</p>';
  return layout('Activation', null, `<main class="narrow"><div class="card">${content}</div></main>`);
}
