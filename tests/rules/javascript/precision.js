// Precision: real-code patterns that look like findings and are not (quiet), next to
// the real finding of the same kind (marked).

// LB208: a value compared with itself by ===, ==, <= or >= is a NaN test.
function toFiniteOrZero(value) {
  return value === value ? value : 0;
}

function neverLess(value) {
  return value < value; // expect: LB208
}

// LB211: typeof checks, directly or through a variable.
function isObject(value) {
  var type = typeof value;
  return value != null && (type == 'object' || type == 'function');
}

function isCount(value, kind) {
  var count = value.length;
  return count == kind; // expect: LB211
}

// LS103: quoted identifiers are not data.
function drop(db, table, id) {
  db.query('DELETE FROM ' + db.escapeId(table) + ' WHERE id = ?', [id]);
  db.query('DELETE FROM ' + table + ' WHERE id = ?', [id]); // expect: LS103
}

module.exports = { toFiniteOrZero, neverLess, isObject, isCount, drop };

// LS111: HTML built only from literals, whichever branch is taken.
function addInfoPrompt(element, evalex) {
  element.innerHTML = '<p>Click the headline. ' + (evalex ? 'Or type.' : '') + '</p>';
  element.innerHTML = '<p>' + element.title + '</p>'; // expect: LS111
}

// LS104: a table of aliases maps names to names.
const aliasToReal = { allPass: 'overEvery', anyPass: 'overSome', always: 'constant' };
const config = { dbPass: 'x9Fq2LmZ' }; // expect: LS104

// However long, a concatenation of literals is a literal.
function longPrompt(element) {
  element.innerHTML = '<p>' + 'a' + 'b' + 'c' + 'd' + 'e' + 'f' + 'g' + 'h' + 'i' + '</p>';
}
