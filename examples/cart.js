function cartTotal(items) {
  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}

function applyDiscount(total, percent {
  return total * (1 - percent / 100);
}

module.exports = { cartTotal, applyDiscount };
