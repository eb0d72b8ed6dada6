// Security rules in JavaScript: `expect: CODE` marks where a finding must start.
const { exec, execFile } = require('child_process');
import * as cp from 'node:child_process';
const crypto = require('crypto');
const https = require('https');

function codeInjection(req, input) {
  eval(req.body.code); // expect: LS101
  eval('2 + 2');
  const fn = new Function('a', 'return a + ' + input); // expect: LS101
  setTimeout('refresh(' + input + ')', 100); // expect: LS101
  setTimeout(() => refresh(input), 100);
  setInterval(refresh, 1000);
}

function commandInjection(req) {
  exec(`ls ${req.query.dir}`); // expect: LS102
  const command = 'git log ' + req.query.branch;
  cp.execSync(command); // expect: LS102
  exec('ls -la');
  execFile('git', ['log', req.query.branch]);
  cp.spawn(req.query.tool, [], { shell: true }); // expect: LS102
}

async function sqlInjection(db, req) {
  const id = req.params.id;
  await db.query(`SELECT * FROM users WHERE id = ${id}`); // expect: LS103
  const sql = "SELECT * FROM orders WHERE customer = '" + req.query.name + "'";
  await db.query(sql); // expect: LS103
  await db.query('SELECT * FROM users WHERE id = $1', [id]);
  await db.query(SQL`SELECT * FROM users WHERE id = ${id}`);
  await prisma.$queryRawUnsafe(`DELETE FROM sessions WHERE token = '${req.body.token}'`); // expect: LS103
}

function xss(el, user, html) {
  el.innerHTML = `<b>${user.name}</b>`; // expect: LS111
  el.outerHTML = '<p>' + user.bio + '</p>'; // expect: LS111
  el.insertAdjacentHTML('beforeend', html); // expect: LS111
  document.write(location.hash); // expect: LS111
  el.innerHTML = '<b>Loading…</b>';
  el.innerHTML = DOMPurify.sanitize(html);
  el.textContent = user.name;
}

function hashing(password, body) {
  const digest = crypto.createHash('md5').update(password).digest('hex'); // expect: LS107
  const etag = crypto.createHash('sha1').update(body).digest('hex');
  const strong = crypto.createHash('sha256').update(password).digest('hex');
  return [digest, etag, strong];
}

const agent = new https.Agent({ rejectUnauthorized: false }); // expect: LS108
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // expect: LS108
const safeAgent = new https.Agent({ rejectUnauthorized: true });

const STRIPE_KEY = 'sk_live_51HxQ2eKZ8mN3pR7tY9vB4cD6fG'; // expect: LS104
const config = { apiKey: 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q', region: 'eu' }; // expect: LS104
const PASSWORD_INPUT = 'password';
const token = process.env.API_TOKEN;
const placeholder = { password: '<your password>' };

const util = require('util');
const execAsync = util.promisify(exec);
async function viaPromisify(req) {
  await execAsync(`git clone ${req.body.repo}`); // expect: LS102
  require('child_process').exec('rm -rf ' + req.body.dir); // expect: LS102
}

const { spawn } = require('child_process');
function spawnShell(req) {
  spawn('sh', ['-c', 'tar xf ' + req.query.file]); // expect: LS102
  spawn('tar', ['xf', req.query.file]);
}

function jquery(comment) {
  $('#comments').html('<li>' + comment.body + '</li>'); // expect: LS111
  $('#title').text(comment.title);
  $('#empty').html('<li>none</li>');
}
