function showGreeting(element, name) {
  element.innerHTML = "<b>Hello " + name + "</b>";
}

function isEmpty(value) {
  return value == "";
}

function compute(expression) {
  return eval(expression);
}

module.exports = { showGreeting, isEmpty, compute };
