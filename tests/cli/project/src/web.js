function show(el, name) {
  el.innerHTML = '<b>' + name + '</b>';
  return name == 'admin';
}
