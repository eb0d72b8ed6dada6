"""A small inventory module with a syntax error on line 9."""


def total(items):
    return sum(item.price * item.quantity for item in items)


def restock(item, amount:
    item.quantity += amount
    return item
