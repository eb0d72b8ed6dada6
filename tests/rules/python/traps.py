# ruff: noqa
# fmt: off
# Traps: correct code that users rightly call false positives. No finding may start here.
import ast
import hashlib
import json
import os
import subprocess
import yaml
from yaml import SafeLoader


PASSWORD_FIELD = "password"
TOKEN_HEADER = "X-Auth-Token"
API_KEY_ENV = "OPENAI_API_KEY"
password_label = "Password:"
DEFAULT_PASSWORD_LENGTH = 16
token = os.environ["API_TOKEN"]
api_key = os.getenv("API_KEY", "")
secret = os.environ.get("SECRET", "changeme")
EXAMPLE_KEY = "your-api-key-here"
PASSWORD_RESET_URL = "/accounts/password/reset/"
form_fields = {"username": "user_name", "password": "password"}


def run_commands(folder, name):
    subprocess.run(["ls", "-la", folder], check=True)
    subprocess.run(["git", "commit", "-m", name])
    subprocess.run("ls -la", shell=True)
    subprocess.check_output(["grep", "-r", name, folder])
    os.system("clear")


def parse(text, expression):
    config = yaml.safe_load(text)
    other = yaml.load(text, Loader=yaml.SafeLoader)
    more = yaml.load(text, Loader=SafeLoader)
    value = ast.literal_eval(expression)
    data = json.loads(text)
    eval("1 + 2")
    return config, other, more, value, data


def digests(content, path):
    etag = hashlib.sha1(content).hexdigest()
    checksum = hashlib.md5(path.read_bytes()).hexdigest()
    cache_key = hashlib.md5(content, usedforsecurity=False).hexdigest()
    strong = hashlib.sha256(content).hexdigest()
    return etag, checksum, cache_key, strong


def queries(cursor, user_id, ids, name):
    cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))
    cursor.execute(f"SELECT * FROM users WHERE id = ?", (user_id,))
    placeholders = ", ".join("?" * len(ids))
    cursor.execute(f"SELECT * FROM items WHERE id IN ({placeholders})", ids)
    marks = ",".join(["%s"] * len(ids))
    cursor.execute("DELETE FROM items WHERE id IN (%s)" % marks, ids)
    cursor.execute(f"SELECT * FROM users LIMIT {int(name)}")
    TABLE = "users"
    cursor.execute(f"SELECT * FROM {TABLE} WHERE name = ?", (name,))


def invariants(items, index):
    assert isinstance(items, list)
    assert 0 <= index < len(items), "index out of range"
    assert items, "no items"
    return items[index]


def test_admin_can_delete(admin_client):
    response = admin_client.delete("/accounts/1")
    assert response.user.is_admin
EXAMPLE_URL = "https://user:pass@example.com/"
INCORRECT_PASSWORD_MESSAGE = "Incorrect password"
token_type = "bearer"


def open(path):
    return path


def uses_own_open(path):
    return open(path)


def quoted(folder):
    subprocess.call("ls " + shlex.quote(folder), shell=True)
