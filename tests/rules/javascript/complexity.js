// select: LC
function tangled(a, b, c, d) { // expect: LC401
  if (a) {
    for (const x of b) {
      if (c) {
        while (d) {
          if (x) { // expect: LC402
            return 1;
          }
          d -= 1;
        }
      }
    }
  }
  if ((a && b) || c) return 2;
  else if (b) return 3;
  else if (c) return 4;
  switch (d) {
    case 1: return 5;
    case 2: return 6;
    default: return d ? 7 : 8;
  }
}

function simple(a) {
  return a ? 1 : 2;
}
