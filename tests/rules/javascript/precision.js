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
