# ruff: noqa
# fmt: off
# Likely bugs: positive cases (marked) and the correct forms next to them (quiet).
import asyncio
import re
import socket


def mutable_defaults(a, items=[], options={}, seen=set(), *, tags: list = []):  # expect: LB201 LB201 LB201 LB201
    """Docstring stays first."""
    items.append(a)
    return items, options, seen, tags


def fine_defaults(a, items=None, size=10, name="x", pair=(1, 2)):
    return a


def handlers(work, log):
    try:
        work()
    except:  # expect: LB202
        log("failed")
    try:
        work()
    except Exception:  # expect: LB203
        pass
    try:
        work()
    except:  # expect: LB203
        pass
    try:
        work()
    except KeyError:
        pass
    try:
        work()
    except:
        log("cleanup")
        raise


def comparisons(x, y, items):
    if x == None:  # expect: LB204
        return 1
    if y != None:  # expect: LB204
        return 2
    if x is None or y is not None:
        return 3
    rows = session.query(User).filter(User.deleted_at == None)
    if x < x:  # expect: LB208
        return 4
    if x != x:
        return "nan"
    if "debug":  # expect: LB208
        return 5
    assert (x, "x must be set")  # expect: LB208
    while True:
        break
    if 1 == 2:  # expect: LB208
        return 6
    return rows


def unreachable(x):
    for item in x:
        if item:
            continue
            print("skipped")  # expect: LB205
    return x
    x += 1  # expect: LB205


def maybe_unassigned(flag, path):
    if flag:
        result = compute()
    return result  # expect: LB214


def handled_everywhere(flag):
    if flag:
        result = 1
    else:
        result = 2
    try:
        value = int(flag)
    except ValueError:
        value = 0
    return result, value


def cleanup(path):
    try:
        handle = open(path)
        data = handle.read()
    finally:
        handle.close()  # expect: LB214
    return data


def read_first(path):
    total = count + 1  # expect: LB206
    count = 0
    return total


def loop_value(items):
    for item in items:
        last = item
    return last


def factorial(n):
    return n * factorial(n - 1)  # expect: LB207


def countdown(n):
    if n <= 0:
        return 0
    return countdown(n - 1)


class Person:
    def __init__(self, name):
        self._name = name

    @property
    def name(self):
        return self.name  # expect: LB207

    @property
    def label(self):
        return self._name.title()

    def greet(self):
        return self.greet()  # expect: LB207


def ranges(xs):
    for i in range(len(xs) + 1):  # expect: LB209
        print(xs[i])
    for i in range(10, 0):  # expect: LB209
        print(i)
    for i in range(len(xs) - 1, -1):  # expect: LB209
        print(xs[i])
    for i in range(10, 0, -1):
        print(i)
    for i in range(len(xs) + 1):
        print(i)


def resources(path, host):
    handle = open(path)  # expect: LB210
    data = handle.read()
    text = open(path).read()  # expect: LB210
    conn = socket.socket()  # expect: LB210
    conn.connect((host, 80))
    with open(path) as managed:
        managed.read()
    owned = open(path)
    try:
        owned.read()
    finally:
        owned.close()
    return data, text


async def fetch(client):
    await asyncio.sleep(1)
    return client


async def save(client):
    fetch(client)  # expect: LB212
    asyncio.sleep(0.1)  # expect: LB212
    await fetch(client)
    task = asyncio.create_task(fetch(client))
    return task
