# ruff: noqa
# fmt: off
# Precision: patterns from real code that look like a finding and are not (quiet), each
# next to the form of the same kind that is a real finding (marked).
import contextlib
import hashlib
import pickle
import pty
import ssl
import sys


# -- LB206: evaluation order, parameters, paths that always re-raise, asserts ----------

def walrus_in_condition(d, key):
    return found if (found := d.get(key)) is not None else "missing"


def walrus_in_comprehension_filter(items):
    return [kept for item in items if (kept := item.strip())]


def walrus_after_read(items):
    return [seen + (seen := item) for item in items]  # expect: LB206


def typed_star_parameters(*names: str, **options: int):
    if not names:
        names = ("default",)
    if not options:
        options = {}
    return names[0], options


@contextlib.contextmanager
def reraise_after_cleanup():
    yield
    raise


@contextlib.contextmanager
def log_errors():
    yield
    print("logged")


def reraises_through_manager(read):
    try:
        data = read()
    except Exception:
        with reraise_after_cleanup():
            print("cleaning up")
    return data


def library_reraise(read, util):
    try:
        data = read()
    except Exception:
        with util.safe_reraise():
            print("cleaning up")
    return data


def manager_that_swallows(read):
    try:
        data = read()
    except Exception:
        with log_errors():
            print("cleaning up")
    return data  # expect: LB214


def asserted_non_empty(*values):
    assert values, "at least one value"
    for value in values:
        if value:
            return value
    return value


def loop_variable_after_loop(values):
    print("value")
    for value in values:
        print(value)
    return value  # taken as set: the loop ran at least once


def assert_false_ends_the_path(kind):
    if kind == "insert":
        target = "inserted"
    elif kind == "delete":
        target = "deleted"
    else:
        assert False, "expected insert or delete"
    return target


def raise_error(message) -> "NoReturn":
    raise ValueError(message)


class Connection:
    def _handle_error(self, error):
        log(error)
        raise error

    def execute(self, run):
        try:
            result = run()
        except Exception as error:
            self._handle_error(error)
        return result

    def execute_logged(self, run):
        try:
            result = run()
        except Exception as error:
            log(error)
        return result  # expect: LB214


def helper_that_never_returns(kind):
    if kind:
        value = 1
    else:
        raise_error("no kind")
    return value


def read_before_any_assignment(items):
    print(total)  # expect: LB206
    total = sum(items)
    return total


# -- LB202 / LB203 / LB205 -------------------------------------------------------------

def rollback(tx):
    try:
        tx.commit()
    except:
        with reraise_after_cleanup():
            tx.rollback()


def rollback_and_swallow(tx):
    try:
        tx.commit()
    except:  # expect: LB202
        with log_errors():
            tx.rollback()


class Wrapper:
    def __init__(self, stream):
        self._stream = stream

    def __del__(self):
        try:
            self._stream.close()
        except Exception:
            pass

    def close(self):
        try:
            self._stream.close()
        except Exception:  # expect: LB203
            pass


class BaseStream:
    def __iter__(self):
        raise NotImplementedError("subclasses must implement __iter__")
        yield b""

    def read(self):
        raise NotImplementedError
        return b""  # expect: LB205


# -- LB208: self-comparisons that are NaN tests --------------------------------------------

def nan_tests(x):
    if x == x and x >= x and x <= x:
        return x
    if x < x:  # expect: LB208
        return 0
    return None


# -- LB210: ownership passes to a wrapper -----------------------------------------------

def open_wrapped(path):
    handle = open(path, "rb")
    wrapped = Wrapper(handle)
    return wrapped


def open_and_forget(path, consume):
    handle = open(path, "rb")  # expect: LB210
    data = consume(handle)
    return data


# -- LS101: one construct, one finding; running a code file is not evaluating data ---------

def run_startup(path):
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), {})


def run_expression(request):
    exec(compile(request.args["code"], "<input>", "exec"))  # expect: LS101


# -- LS102: pty.spawn takes an argument vector --------------------------------------------

def spawn_argv():
    pty.spawn(sys.argv[1:])


def spawn_shell(command):
    pty.spawn(["sh", "-c", command])  # expect: LS102


# -- LS103: quoted identifiers and constants of the code are not data -------------------------

def quote_name(name):
    return '"%s"' % name.replace('"', '""')


class Expiring:
    table = "sessions"

    def delete_expired(self, cursor, table, now, connection):
        cursor.execute("DELETE FROM %s WHERE expires < %%s" % quote_name(table), [now])
        cursor.execute("DELETE FROM %s WHERE expires < %%s" % self.table, [now])
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)} WHERE id = %s", [now])
        cursor.execute("DELETE FROM %s WHERE expires < '%s'" % (self.table, now))  # expect: LS103


# -- LS104: values that name a field, and documentation, are not secrets ----------------------

SESSION_KEY = "_auth_user_id"
BACKEND_SESSION_KEY = "_auth_user_backend"
RESET_SESSION_TOKEN = "_password_reset_token"
SIGNING_TOKEN = "q8Zr2LxW9vKp4TnB7sYd"  # expect: LS104


def configure():
    """Configure the client.

    Example: client = Client(api_key="sk-proj-4f9aZ2kQ8mXbW1cR7tYhL0pN3sVdE6uJ5gKq")
    """


# -- LS105: bytes this program pickled itself ---------------------------------------------------

class Box:
    def __init__(self, value):
        self._frozen = pickle.dumps(value)

    def get(self):
        return pickle.loads(self._frozen)


class Inbox:
    def __init__(self, sock):
        self._payload = sock.recv(4096)

    def get(self):
        return pickle.loads(self._payload)  # expect: LS105


# -- LS108: one finding per context object -----------------------------------------------------

def make_context(verify: bool) -> ssl.SSLContext:
    if verify:
        return ssl.create_default_context()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # expect: LS108
    return ctx


# -- LS110: a name alone is not an authorisation check -------------------------------------------

def insert(objs, features, returning, request):
    assert not (returning and len(objs) != 1 and not features.can_return_rows_from_bulk_insert)
    assert request.user.is_staff  # expect: LS110
    return objs


# -- LP301 / LP302 --------------------------------------------------------------------------------

def prune(applied, on_disk, replacements):
    to_prune = sorted(applied - on_disk)
    blocked = [k for k, replaced in replacements.items() if any(r in to_prune for r in replaced)]
    for name in to_prune:
        print("pruning", name)
    return blocked


def allowed_only(items, a, b, c, d):
    allowed = sorted([a, b, c, d])
    kept = []
    for x in items:
        if x in allowed:  # expect: LP301
            kept.append(x)
    return kept


def group_digits(digits: str, sep: str = ",") -> str:
    out = ""
    for i, d in enumerate(reversed(digits)):
        if i and i % 3 == 0:
            out += sep  # expect: LP302
        out += d
    return out[::-1]


# -- LB201 / LB204: read-only defaults, SQL expressions ----------------------------------------

def format_signature(names, defaults: Mapping[str, int] = {}, extra: Optional[Sequence] = []):
    return [defaults.get(n) for n in names] + list(extra)


def collect(names, seen: dict = {}):  # expect: LB201
    seen.update(dict.fromkeys(names))
    return seen


def null_case(bindparam, case):
    return case((bindparam("foo") != None, bindparam("foo")), else_=None)


class Backend:
    _operators = {"contains": "LIKE %s", "exact": "= %s"}

    def check(self, cursor, columns, table, value):
        cursor.execute("SELECT 1 FROM DUAL WHERE DUMMY %s" % self._operators["contains"], [value])
        cursor.execute("SELECT %s FROM t" % ", ".join(self.quote_name(c) for c in columns))
        cursor.execute(
            "SHOW COLLATION WHERE %s = 'utf8'" % self.identifier_preparer.quote("Charset")
        )
        cursor.execute("SELECT %s FROM t" % ", ".join(c for c in columns))  # expect: LS103


def find_editor(os, editors):
    for editor in "sensible-editor", "vim", "nano":
        if os.system(f"which {editor} >/dev/null 2>&1") == 0:
            return editor
    for editor in editors:
        if os.system(f"which {editor}") == 0:  # expect: LS102
            return editor
    return "vi"
