// Likely bugs in JavaScript.
function compare(a, b) {
  if (a == b) { // expect: LB211
    return 1;
  }
  if (a != '0') { // expect: LB211
    return 2;
  }
  if (a == null || b != undefined) {
    return 3;
  }
  if (typeof a == 'string') {
    return 4;
  }
  if (a > a) { // expect: LB208
    return 5;
  }
  if ('always') { // expect: LB208
    return 6;
  }
  return a === b;
}

function unreachable(x) {
  if (x) {
    return 1;
    console.log('never'); // expect: LB205
  }
  throw new Error('bad');
  cleanup(); // expect: LB205
}

function hoisted(x) {
  return helper(x);
  function helper(y) {
    return y * 2;
  }
}

function forever(n) {
  return forever(n - 1); // expect: LB207
}

function countdown(n) {
  if (n <= 0) return 0;
  return countdown(n - 1);
}

class User {
  get name() {
    return this.name; // expect: LB207
  }
  get label() {
    return this._name;
  }
}

async function load(id) {
  return fetchUser(id);
}

const saveUser = async (user) => {
  await db.save(user);
};

async function handler(id, user) {
  load(id); // expect: LB212
  saveUser(user); // expect: LB212
  await load(id);
  load(id).then(render);
  void saveUser(user);
  return load(id);
}

function loops(lines) {
  const out = [];
  for (const line of lines) {
    const re = new RegExp('\\d+'); // expect: LP303
    out.push(re.test(line));
  }
  return out;
}

const fsp = require('fs/promises');
async function fireAndForget(url, path) {
  fetch(url); // expect: LB212
  fsp.writeFile(path, 'x'); // expect: LB212
  await fetch(url);
}
