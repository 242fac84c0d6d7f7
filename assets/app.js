// The setup page: paste a key (or pick a QR screenshot, decoded here in the browser), compare
// the live code with the authenticator app, copy working ext.ini lines. Everything it asks goes
// to this same server; nothing is kept in the URL or in browser storage.
'use strict';

const TEXTS = {
  he: {
    title: 'קוד אימות דו־שלבי בטלפון', switch: 'English',
    lead: 'שלושה צעדים: מדביקים את המפתח, בודקים שהקוד זהה לאפליקציה, ומעתיקים את השורות לקובץ ext.ini.',
    step1: 'המפתח', step2: 'בודקים את הקוד', step3: 'מעתיקים לקובץ ext.ini',
    secretLabel: 'המפתח הסודי מהאתר, או הקישור \u2066otpauth://\u2069 מתוך קוד ה־QR',
    qrLabel: 'או בחרו צילום מסך של קוד ה־QR (התמונה לא עולה לשרת)',
    name: 'שם החשבון (נאמר בתפריט)', digits: 'ספרות', algorithm: 'אלגוריתם', period: 'שניות לקוד',
    token: 'אסימון הגישה של השרת (ACCESS_TOKEN)',
    checkHelp: 'הקוד כאן צריך להיות זהה לקוד באפליקציית האימות.',
    pin: 'קוד אישי למתקשר (4–12 ספרות)', allow: 'מספרי טלפון מורשים (מופרדים בפסיקים)', voice: 'שפת ההקראה',
    mode: 'מה השלוחה עושה', modeRead: 'מקריאה את הקוד', modeVerify: 'מבקשת מהמתקשר להקיש קוד',
    then: 'השלוחה שאליה עוברים אחרי קוד נכון', thenRead: 'השלוחה שאליה עוברים בסוף (לא חובה)',
    badThen: 'יש לכתוב שלוחה, למשל /7, 3 או ..',
    system: 'מערכת הטלפון', systemYemot: 'ימות המשיח (ext.ini)', systemTwilio: 'Twilio (כתובת Voice)',
    step3Twilio: 'מדביקים את הכתובת ב־Twilio', sealedNoteTwilio: 'המפתח חתום: בכתובת יש רק אסימון שרק השרת הזה יכול לפתוח.',
    thenTwilio: 'הכתובת שאליה עוברת השיחה אחרי קוד נכון', thenReadTwilio: 'הכתובת שאליה עוברת השיחה בסוף (לא חובה)',
    badThenTwilio: 'יש לכתוב כתובת שמתחילה ב־https, של שירות אחר',
    twilioWhere: 'במסוף של Twilio: \u2066Phone Numbers\u2069 ← המספר ← \u2066Voice Configuration\u2069 ← \u2066A call comes in\u2069: \u2066Webhook\u2069, הכתובת הזאת, \u2066HTTP POST\u2069',
    twilioPlain: 'השרת לא חותם מפתחות (SEAL_KEYS), ולכן המפתח גלוי בכתובת וביומן הבקשות של Twilio',
    twilioUnsigned: 'השרת לא בודק את החתימה של Twilio (TWILIO_AUTH_TOKEN): כל מי שיודע את הכתובת יכול לפנות אליה',
    twilioLocal: 'הכתובת אינה https או שהיא כתובת מקומית: Twilio לא יגיע אליה. יש לפתוח את הדף בכתובת הציבורית של השרת (https).',
    addAccount: 'הוספת חשבון נוסף לתפריט',
    accounts: n => (n === 1 ? 'בתפריט: חשבון אחד' : `בתפריט: ${n} חשבונות`),
    warning: 'אזהרה: בלי קוד אישי ובלי רשימת מספרים, כל מי שמחייג לשלוחה ישמע את הקוד.',
    plainHttp: 'הכתובת בשורת api_link אינה https או שהיא כתובת מקומית: ימות המשיח לא יגיע אליה, או שהמפתח יעבור בלי הצפנה. יש לפתוח את הדף בכתובת הציבורית של השרת (https).',
    hotp: 'זה קישור HOTP, קוד לפי מונה: השירות קורא רק קודים מתחלפים לפי זמן (TOTP), כי מונה דורש לשמור מצב בשרת',
    migration: 'קוד העברה של Google Authenticator: בוחרים את החשבונות למטה',
    importAdd: 'הוספת החשבונות שנבחרו לתפריט',
    importRead: (read, parts) => (parts > 1 ? `נקראו ${read} מתוך ${parts} קודי QR של ההעברה` : 'קוד ההעברה נקרא'),
    importMissing: 'יש להדביק או לצלם גם את שאר קודי ה־QR של ההעברה',
    importHotp: 'קוד לפי מונה (HOTP): לא נתמך, כי מונה דורש לשמור מצב בשרת',
    importUnusable: 'לא נתמך',
    importNone: 'זה אינו קוד העברה תקין',
    copy: 'העתקה', copied: 'הועתק', sealedNote: 'המפתח חתום: בקובץ יש רק אסימון שרק השרת הזה יכול לפתוח.',
    secondsLeft: s => `עוד ${s} שניות`, waiting: 'מדביקים מפתח כדי לראות את הקוד',
    unsafeToken: 'לאסימון יש תווים שימות המשיח עלול לפצל; יש להחליף אותו באסימון של אותיות וספרות בלבד',
    badKey: 'המפתח אינו תקין', qrNone: 'לא נמצא קוד QR בתמונה', qrFound: 'קוד ה־QR פוענח', badPin: 'הקוד האישי צריך להיות 4 עד 12 ספרות',
    explain: {
      type: 'השלוחה שואלת את השרת מה להשמיע', link: 'כתובת השרת הזה', post: 'המפתח נשלח בגוף הבקשה ולא בכתובת',
      log: 'המפתח לא נשמר ביומן של ימות המשיח', secret: 'המפתח הסודי', sealed: 'המפתח, חתום', name: 'השם שנאמר בתפריט',
      digits: 'מספר הספרות', algorithm: 'האלגוריתם', period: 'שניות לכל קוד', pin: 'קוד אישי שהמתקשר מקיש',
      allow: 'רק המספרים האלה ישמעו קודים', lang: 'הקראה באנגלית', token: 'אסימון הגישה של השרת',
      mode: 'המתקשר מקיש את הקוד מהאפליקציה, והקוד לא נאמר', then: 'לכאן עוברים אחרי קוד נכון',
    },
  },
  en: {
    title: 'Two-factor codes on the phone', switch: 'עברית',
    lead: 'Three steps: paste the key, check that the code matches your app, copy the lines into ext.ini.',
    step1: 'The key', step2: 'Check the code', step3: 'Copy into ext.ini',
    secretLabel: 'The secret key from the website, or the otpauth:// link from the QR code',
    qrLabel: 'Or pick a screenshot of the QR code (the image is not uploaded)',
    name: 'Account name (said in the menu)', digits: 'Digits', algorithm: 'Algorithm', period: 'Seconds per code',
    token: 'The server\'s access token (ACCESS_TOKEN)',
    checkHelp: 'The code here must match the code in your authenticator app.',
    pin: 'Caller PIN (4–12 digits)', allow: 'Allowed phone numbers (comma-separated)', voice: 'Voice language',
    mode: 'What the extension does', modeRead: 'Reads the code aloud', modeVerify: 'Asks the caller for a code',
    then: 'The folder a correct code leads to', thenRead: 'The folder to go to at the end (optional)',
    badThen: 'Write a folder, such as /7, 3 or ..',
    system: 'Phone system', systemYemot: 'Yemot Hamashiach (ext.ini)', systemTwilio: 'Twilio (Voice URL)',
    step3Twilio: 'Paste the URL into Twilio', sealedNoteTwilio: 'The key is sealed: the URL holds only a token that only this server can open.',
    thenTwilio: 'The URL a correct code leads to', thenReadTwilio: 'The URL the call goes to at the end (optional)',
    badThenTwilio: 'Write an address that starts with https, of another service',
    twilioWhere: 'In the Twilio console: Phone Numbers → your number → Voice Configuration → A call comes in: Webhook, this URL, HTTP POST',
    twilioPlain: 'This server does not seal keys (SEAL_KEYS), so the key shows in the URL and in Twilio\'s request log',
    twilioUnsigned: 'This server does not check Twilio\'s signature (TWILIO_AUTH_TOKEN): anyone who knows the URL can call it',
    twilioLocal: 'The address is not https, or is a local address: Twilio cannot reach it. Open this page at the server\'s public https address.',
    addAccount: 'Add another account to the menu',
    accounts: n => (n === 1 ? 'In the menu: 1 account' : `In the menu: ${n} accounts`),
    plainHttp: 'The api_link address is not https, or is a local address: Yemot cannot reach it, or the key would travel unencrypted. Open this page at the server\'s public https address.',
    hotp: 'This is an HOTP link, a counter-based code: only time-based codes (TOTP) are read, since a counter needs state kept on the server',
    migration: 'A Google Authenticator transfer code: pick the accounts below',
    importAdd: 'Add the chosen accounts to the menu',
    importRead: (read, parts) => (parts > 1 ? `Read ${read} of the transfer's ${parts} QR codes` : 'The transfer code was read'),
    importMissing: 'Paste or pick the transfer\'s other QR codes too',
    importHotp: 'A counter-based code (HOTP): not supported, since a counter needs state kept on the server',
    importUnusable: 'Not supported',
    importNone: 'This is not a valid transfer code',
    warning: 'Warning: with no PIN and no allowed numbers, anyone who dials the extension hears the code.',
    copy: 'Copy', copied: 'Copied', sealedNote: 'The key is sealed: the file holds only a token that only this server can open.',
    secondsLeft: s => `${s} seconds left`, waiting: 'Paste a key to see its code',
    unsafeToken: 'The token has characters Yemot may split; replace it with one of letters and digits only',
    badKey: 'The key is not valid', qrNone: 'No QR code found in the image', qrFound: 'QR code decoded', badPin: 'The PIN must be 4 to 12 digits',
    explain: {
      type: 'the extension asks this server what to say', link: 'this server\'s address', post: 'the key travels in the body, not the address',
      log: 'the key stays out of Yemot\'s log', secret: 'the secret key', sealed: 'the key, sealed', name: 'the name said in the menu',
      digits: 'digits per code', algorithm: 'the algorithm', period: 'seconds per code', pin: 'a PIN the caller types',
      allow: 'only these numbers hear codes', lang: 'English voice', token: 'the server\'s access token',
      mode: 'the caller types the code from the app; no code is said', then: 'where a correct code leads',
    },
  },
};

const $ = id => document.getElementById(id);

// Yemot most likely joins ext.ini values into its request as they are written, so every value
// this page writes holds only characters that read the same whether they arrive encoded or not:
// letters and digits of any script, and - . _ ~ , (a space in a name becomes _, which the
// server says as a space). Nothing pasted can add a line or a key of its own.
const BASE32 = /^[A-Z2-7]+$/;
function safeName(text) {
  return text.normalize('NFC').trim().replace(/\s+/g, '_').replace(/[^\p{L}\p{N}\-._~]/gu, '')
    .replace(/_+/g, '_').replace(/^_|_$/g, '');
}
function digitsOnly(text) { return text.replace(/\D/g, ''); }
function safeList(text) {
  return text.split(/[,;\s|]+/).map(n => n.replace(/\D/g, '')).filter(Boolean).join(',');
}
function isSafe(text) { return /^[\p{L}\p{N}\-._~,]*$/u.test(text); }
// A label as its link wrote it, or nothing if its escapes are broken.
function decode(text) {
  try { return decodeURIComponent(text); } catch { return ''; }
}

// Why a paste cannot be used, when something better than "not valid" can be said.
function whyNot(text) {
  const trimmed = text.trim().toLowerCase();
  if (trimmed.startsWith('otpauth://hotp/')) return 'hotp';
  if (trimmed.startsWith('otpauth-migration:')) return 'migration';
  return null;
}

// A pasted key or otpauth:// link, as the lines it becomes: the key in upper case without
// separators, and what a link says of digits, algorithm, period and issuer. null if unusable.
function parseKey(text) {
  const trimmed = text.trim();
  let secret = trimmed;
  const found = {};
  if (/^otpauth:/i.test(trimmed)) {
    let url;
    try { url = new URL(trimmed); } catch { return null; }
    if (url.host.toLowerCase() !== 'totp') return null;
    const p = url.searchParams;
    secret = p.get('secret') || '';
    const digits = p.get('digits');
    if (digits) found.digits = digits;
    const alg = p.get('algorithm');
    if (alg) found.algorithm = alg.toUpperCase().replace(/[-_]/g, '');
    const period = p.get('period');
    if (period) found.period = period;
    const label = decode(url.pathname.replace(/^\/+/, ''));
    found.issuer = p.get('issuer') || (label.includes(':') ? label.split(':')[0] : '');
  }
  secret = secret.toUpperCase().replace(/[\s\-=\u200B-\u200D\u2010-\u2015\u2212\uFEFF]/g, '');
  if (!BASE32.test(secret)) return null;
  if (found.digits && !['6', '7', '8'].includes(found.digits)) return null;
  if (found.algorithm && !['SHA1', 'SHA256', 'SHA512'].includes(found.algorithm)) return null;
  if (found.period && !/^\d{1,3}$/.test(found.period)) return null;
  return { secret, ...found };
}

// The browser's own language, Hebrew or English, Hebrew when it is neither; the switch at the
// top changes it.
// A Google Authenticator export: every QR code of it given so far, and what the server read.
const exportLinks = [];
let imported = null;
let importFailed = false;
// What the owner changed in the list (ticks, names), by account, so that a redraw (the next QR
// code, a language switch) keeps it. In memory only, like everything else here.
const importEdits = new Map();
function importKey(a) { return [a.label, a.account, a.secret || a.refused].join('\u0001'); }

// Reads every export code given so far into its accounts (on this same server, which keeps
// nothing), and lists them to pick and name. A code that cannot be read is said so, and what
// was read before stays.
async function readExport(text) {
  const link = text.trim();
  const added = !exportLinks.includes(link);
  if (added) exportLinks.push(link);
  try {
    imported = await post('/api/import', { links: exportLinks.join('\n') });
    importFailed = false;
  } catch {
    if (added) exportLinks.pop();
    importFailed = true;
  }
  showImport();
}

function showImport() {
  const box = $('import');
  box.hidden = !imported && !importFailed;
  const list = $('import-list');
  list.replaceChildren();
  $('import-add').hidden = !imported;
  if (!imported) {
    $('import-status').textContent = importFailed ? t('importNone') : '';
    return;
  }
  const missing = imported.read.length < imported.parts;
  $('import-status').textContent = (importFailed ? `${t('importNone')} · ` : '')
    + t('importRead')(imported.read.length, imported.parts)
    + (missing ? ` · ${t('importMissing')}` : '');
  for (const [i, a] of imported.accounts.entries()) {
    const key = importKey(a);
    const edited = importEdits.get(key);
    const li = document.createElement('li');
    const pick = document.createElement('input');
    pick.type = 'checkbox';
    pick.id = `import-${i}`;
    pick.checked = a.usable && (edited ? edited.checked : true);
    pick.disabled = !a.usable;
    const name = document.createElement('input');
    name.id = `import-name-${i}`;
    name.value = edited ? edited.name : a.label;
    name.disabled = !a.usable;
    const remember = () => importEdits.set(key, { checked: pick.checked, name: name.value });
    pick.addEventListener('change', remember);
    name.addEventListener('input', remember);
    name.setAttribute('aria-label', a.label);
    li.append(pick, ' ', name);
    const note = document.createElement('span');
    note.className = a.usable ? 'status' : 'warning';
    note.textContent = a.usable ? ` ${a.account}` : ` ${t(a.refused === 'hotp' ? 'importHotp' : 'importUnusable')}`;
    li.append(note);
    list.append(li);
  }
}

// The picked accounts join the menu, each with the name given to it.
function addImported() {
  if (!imported) return;
  for (const [i, a] of imported.accounts.entries()) {
    if (!a.usable || !$(`import-${i}`).checked) continue;
    saved.push({
      secret: a.secret,
      name: safeName($(`import-name-${i}`).value),
      digits: String(a.digits),
      algorithm: a.algorithm,
      period: String(a.period),
    });
  }
  imported = null;
  importFailed = false;
  importEdits.clear();
  exportLinks.length = 0;
  $('secret').value = '';
  showImport();
  applyLang();
}

let lang = (navigator.languages || [navigator.language || ''])
  .map(l => (/^(he|iw)/i.test(l) ? 'he' : /^en/i.test(l) ? 'en' : null))
  .find(Boolean) || 'he';
let server = { public_url: null, sealing: false, access_token: false, twilio_signed: false };
const saved = []; // accounts already added to the menu, in memory only
let codeTimer = null;
let tickTimer = null;
let buildSeq = 0;

function t(key) { return TEXTS[lang][key]; }

function applyLang() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'he' ? 'rtl' : 'ltr';
  for (const el of document.querySelectorAll('[data-t]')) {
    const value = t(el.dataset.t);
    if (typeof value === 'string') el.textContent = value;
  }
  $('accounts').textContent = saved.length ? t('accounts')(saved.length + (current() ? 1 : 0)) : '';
  const qr = $('qr-status');
  qr.textContent = qr.dataset.key ? t(qr.dataset.key) : '';
  showImport();
  refreshCode();
  buildExtIni();
}

function headers() {
  const h = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if ($('token').value.trim()) h.Authorization = `Bearer ${$('token').value.trim()}`;
  return h;
}

async function post(path, body) {
  const response = await fetch(path, { method: 'POST', headers: headers(), body: JSON.stringify(body), cache: 'no-store' });
  const json = await response.json();
  if (!response.ok) throw Object.assign(new Error(json.message || 'error'), { code: json.error });
  return json;
}

// The account being edited, or null without a usable key.
function current() {
  const parsed = parseKey($('secret').value);
  if (!parsed) return null;
  return {
    secret: parsed.secret,
    name: safeName($('name').value),
    digits: $('digits').value,
    algorithm: $('algorithm').value,
    period: digitsOnly($('period').value) || '30',
  };
}

// What the last paste filled in, so that the next one replaces exactly that.
let filledName = '';

// A new paste replaces everything the last one filled in: the options go back to the
// standard's defaults, then take what a link says; a key that cannot be read clears them.
function readPaste(text) {
  $('digits').value = '6';
  $('algorithm').value = 'SHA1';
  $('period').value = '30';
  if ($('name').value === filledName) $('name').value = '';
  filledName = '';
  const parsed = parseKey(text);
  if (!parsed) return;
  if (parsed.digits) $('digits').value = parsed.digits;
  if (parsed.algorithm) $('algorithm').value = parsed.algorithm;
  if (parsed.period) $('period').value = parsed.period;
  if (parsed.issuer && !$('name').value) {
    filledName = parsed.issuer;
    $('name').value = parsed.issuer;
  }
}

async function refreshCode() {
  clearTimeout(codeTimer);
  clearInterval(tickTimer);
  const account = current();
  const status = $('code-status');
  status.classList.remove('error');
  if (!account) {
    $('code').textContent = '– – –';
    delete $('code').dataset.code;
    $('bar-fill').style.width = '0';
    const pasted = $('secret').value.trim();
    const why = whyNot(pasted);
    status.textContent = pasted ? (why ? t(why) : t('badKey')) : t('waiting');
    if (pasted) status.classList.add('error');
    return;
  }
  try {
    const { secret, digits, algorithm, period } = account;
    const json = await post('/api/2fa', { secret, digits, algorithm, period });
    const half = Math.floor(json.code.length / 2);
    $('code').textContent = `${json.code.slice(0, half)} ${json.code.slice(half)}`;
    $('code').dataset.code = json.code;
    let ttl = json.ttl;
    const tick = () => {
      $('bar-fill').style.width = `${(100 * ttl) / json.period}%`;
      status.textContent = t('secondsLeft')(ttl);
      ttl -= 1;
    };
    tick();
    tickTimer = setInterval(tick, 1000);
    codeTimer = setTimeout(refreshCode, json.ttl * 1000 + 150);
  } catch (e) {
    $('code').textContent = '– – –';
    delete $('code').dataset.code;
    status.textContent = `${t('badKey')} (${e.code || e.message})`;
    status.classList.add('error');
  }
}

// `then` as each phone system writes it. Yemot: `/7`, `3`, `1/2`, `..`, `../2` as the server
// takes them (`.` would enter this extension again). Twilio: an http(s) URL of another service.
function thenOk(then, twilio) {
  if (twilio) return /^https?:\/\/[^\s/?#]+\S*$/i.test(then) && !/\/api\/twilio\/?(\?|#|$)/i.test(then);
  return /^(\/|(\.\.\/)*\.\.|(\.\.\/)*\/?[A-Za-z0-9_]+(\/[A-Za-z0-9_]+)*)$/.test(then);
}

async function buildExtIni() {
  const seq = ++buildSeq;
  const accounts = saved.concat(current() ? [current()] : []);
  const pin = $('pin').value.trim();
  const allow = safeList($('allow').value);
  const pinOk = !pin || /^\d{4,12}$/.test(pin);
  const twilio = $('system').value === 'twilio';
  // Only a code read aloud is heard by whoever dials; a guarded folder asks for one instead.
  $('warning').hidden = Boolean(pin || allow) || $('mode').value === 'verify';
  $('sealed-note').hidden = !server.sealing;
  $('sealed-note').textContent = t(twilio ? 'sealedNoteTwilio' : 'sealedNote');
  $('step3-title').textContent = t(twilio ? 'step3Twilio' : 'step3');
  $('then').placeholder = twilio ? 'https…' : '/7';
  const e = t('explain');
  // The address this page was loaded from is the one the phone system must call, unless the
  // server was told otherwise (PUBLIC_URL): a proxy's headers cannot turn https into http here.
  const base = (server.public_url || location.origin).replace(/\/$/, '');
  // The owner's values, in order: ext.ini lines for Yemot, the Voice URL's query for Twilio.
  const adds = [];
  const add = (key, value, explain) => adds.push({ key, value, explain });
  const menu = accounts.length > 1;
  for (const [i, a] of accounts.entries()) {
    const n = menu ? `_${i + 1}` : '';
    if (server.sealing) {
      try {
        const body = { secret: a.secret, digits: a.digits, algorithm: a.algorithm, period: a.period };
        if (a.name) body.name = a.name;
        if (pin && pinOk) body.pin = pin;
        if (allow) body.allow = allow;
        const json = await post('/api/seal', body);
        add(`sealed${n}`, json.token, e.sealed);
      } catch (err) {
        add(`sealed${n}`, '?', `${t('badKey')} (${err.code || err.message})`);
      }
    } else {
      add(`secret${n}`, a.secret, e.secret);
      if (a.digits !== '6') add(`digits${n}`, a.digits, e.digits);
      if (a.algorithm !== 'SHA1') add(`algorithm${n}`, a.algorithm, e.algorithm);
      if (a.period !== '30') add(`period${n}`, a.period, e.period);
    }
    // A sealed account takes its name from its token: a line beside it would be ignored.
    if (a.name && !server.sealing) add(`name${n}`, a.name, e.name);
  }
  if (!server.sealing) {
    if (pin && pinOk) add('pin', pin, e.pin);
    if (allow) add('allow', allow, e.allow);
  }
  const verify = $('mode').value === 'verify';
  // Where the call goes at the end: required to guard a folder, optional after reading a code.
  $('then-label').textContent = t((verify ? 'then' : 'thenRead') + (twilio ? 'Twilio' : ''));
  const then = $('then').value.trim();
  const thenGood = thenOk(then, twilio);
  if (verify) add('mode', 'verify', e.mode);
  if (thenGood) add('then', then, e.then);
  if ($('voice').value === 'en') add('lang', 'en', e.lang);
  const token = $('token').value.trim();
  // A URL's query is percent-encoded; an ext.ini value must read the same joined raw.
  const tokenSafe = twilio || isSafe(token);
  if (server.access_token) {
    add('token', token && tokenSafe ? token : 'YOUR_ACCESS_TOKEN', token && !tokenSafe ? t('unsafeToken') : e.token);
  }
  let lines;
  if (twilio) {
    const query = adds.map(a => `${a.key}=${encodeURIComponent(a.value)}`).join('&');
    lines = [{ text: `${base}/api/twilio?${query}`, explain: t('twilioWhere'), whole: true }];
  } else {
    lines = [
      { text: 'type=api', explain: e.type },
      { text: `api_link=${base}/api/2fa`, explain: e.link },
      { text: 'api_url_post=yes', explain: e.post },
      { text: 'api_log=no', explain: e.log },
    ].concat(adds.map((a, i) => ({ text: `api_add_${i}=${a.key}=${a.value}`, add: true, explain: a.explain })));
  }
  if (seq !== buildSeq) return; // a newer build started meanwhile
  $('extini').textContent = accounts.length ? lines.map(l => l.text).join('\n') + '\n' : '';
  const explain = $('explain');
  explain.replaceChildren();
  const local = /^http:\/\//i.test(base) || /^https?:\/\/(localhost|127\.|\[::1\]|0\.0\.0\.0)/i.test(base);
  const thenBad = (verify || then !== '') && !thenGood;
  const warnings = [
    [!pinOk, 'badPin'],
    [thenBad, twilio ? 'badThenTwilio' : 'badThen'],
    [local, twilio ? 'twilioLocal' : 'plainHttp'],
    [twilio && !server.sealing, 'twilioPlain'],
    [twilio && !server.twilio_signed, 'twilioUnsigned'],
  ];
  for (const [bad, key] of warnings) {
    if (!bad) continue;
    const li = document.createElement('li');
    li.textContent = t(key);
    li.className = 'warning';
    explain.append(li);
  }
  if (!accounts.length) return;
  // Twilio: where the URL goes, then what each of its values does.
  const explained = twilio ? lines.concat(adds.map(a => ({ text: `${a.key}=`, explain: a.explain }))) : lines;
  for (const l of explained) {
    const li = document.createElement('li');
    if (!l.whole) {
      const code = document.createElement('code');
      code.textContent = l.text.split('=').slice(0, l.add ? 2 : 1).join('=');
      li.append(code, ' — ');
    }
    li.append(l.explain);
    explain.append(li);
  }
}

// Decodes a QR screenshot in the browser with the vendored jsQR; the image never leaves it.
function readQr(file) {
  const reader = new FileReader();
  reader.onload = () => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(data.data, canvas.width, canvas.height);
      $('qr-status').dataset.key = found ? 'qrFound' : 'qrNone';
      $('qr-status').textContent = t($('qr-status').dataset.key);
      if (found && whyNot(found.data) === 'migration') {
        readExport(found.data);
      } else if (found) {
        $('secret').value = found.data;
        readPaste(found.data);
        changed();
      }
    };
    img.src = reader.result;
  };
  reader.readAsDataURL(file);
}

let debounce = null;
function changed() {
  clearTimeout(debounce);
  debounce = setTimeout(() => { refreshCode(); buildExtIni(); }, 250);
}

async function start() {
  try {
    const response = await fetch('/setup.json', { cache: 'no-store' });
    server = await response.json();
  } catch { /* defaults: no sealing, no token */ }
  $('token-box').hidden = !server.access_token;
  $('lang-toggle').addEventListener('click', () => { lang = lang === 'he' ? 'en' : 'he'; applyLang(); });
  $('secret').addEventListener('input', () => {
    if (whyNot($('secret').value) === 'migration') readExport($('secret').value);
    readPaste($('secret').value);
    changed();
  });
  $('import-add').addEventListener('click', addImported);
  for (const id of ['name', 'digits', 'algorithm', 'period', 'pin', 'allow', 'voice', 'token', 'mode', 'then', 'system']) {
    $(id).addEventListener('input', changed);
  }
  $('qr').addEventListener('change', () => { if ($('qr').files[0]) readQr($('qr').files[0]); });
  $('add-account').addEventListener('click', () => {
    const a = current();
    if (!a) return;
    saved.push(a);
    for (const id of ['secret', 'name']) $(id).value = '';
    $('digits').value = '6'; $('algorithm').value = 'SHA1'; $('period').value = '30';
    applyLang();
  });
  $('copy').addEventListener('click', async () => {
    try { await navigator.clipboard.writeText($('extini').textContent); } catch {
      const range = document.createRange();
      range.selectNodeContents($('extini'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      document.execCommand('copy');
    }
    $('copy').textContent = t('copied');
    setTimeout(() => { $('copy').textContent = t('copy'); }, 1500);
  });
  applyLang();
}

document.addEventListener('DOMContentLoaded', start);
