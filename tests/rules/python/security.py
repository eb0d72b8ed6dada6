# ruff: noqa
# fmt: off
# Security rules: positive cases in several syntactic forms. `expect: CODE` marks the
# line where a finding must start; every other line must stay quiet.
import os
import pickle
import subprocess as sp
import sqlite3
from subprocess import run as shell_run, Popen
from os import popen

import yaml
from yaml import FullLoader
import hashlib
import tempfile
import requests
import marshal
import shelve


def code_injection(request, expression):
    eval(request.args["expr"])  # expect: LS101
    exec(expression)  # expect: LS101
    code = "result = " + expression
    exec(code)  # expect: LS101
    exec(compile(f"x = {expression}", "<string>", "exec"))  # expect: LS101
    compiled = compile(expression, "<string>", "eval")  # compiling runs nothing
    eval(compiled)  # expect: LS101


def command_injection(host, name, folder):
    sp.run(f"ping -c 1 {host}", shell=True)  # expect: LS102
    options = {"shell": True, "check": True}
    shell_run("rm -rf " + folder, **options)  # expect: LS102
    command = "tar czf %s.tgz %s" % (name, folder)
    Popen(command, shell=True)  # expect: LS102
    os.system("ls {}".format(folder))  # expect: LS102
    popen(name)  # expect: LS102
    sp.check_output(["sh", "-c", "grep " + name])  # expect: LS102


def sql_injection(connection, user_id, name, order):
    cursor = connection.cursor()
    cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")  # expect: LS103
    query = "SELECT * FROM users WHERE name = '%s'" % name
    cursor.execute(query)  # expect: LS103
    statement = "DELETE FROM sessions WHERE user = '" + name + "'"
    connection.execute(statement)  # expect: LS103
    sql = "SELECT id FROM items WHERE owner = {}".format(user_id)
    cursor.executemany(sql, [])  # expect: LS103
    listing = "SELECT * FROM users WHERE active = 1"
    listing += f" ORDER BY {order}"
    cursor.execute(listing)  # expect: LS103


def deserialisation(blob, path, request):
    pickle.loads(blob)  # expect: LS105
    with open(path, "rb") as handle:
        pickle.load(handle)  # expect: LS105
    marshal.loads(request.data)  # expect: LS105
    shelve.open(path)  # expect: LS105


def yaml_loading(text):
    yaml.load(text)  # expect: LS106
    yaml.load(text, Loader=yaml.Loader)  # expect: LS106
    yaml.load_all(text, Loader=FullLoader)  # expect: LS106
    yaml.unsafe_load(text)  # expect: LS106


def hash_password(password, salt):
    return hashlib.md5((salt + password).encode()).hexdigest()  # expect: LS107


def store_user(user, raw_password):
    user.password_hash = hashlib.sha1(raw_password.encode()).hexdigest()  # expect: LS107
    user.token_digest = hashlib.new("md5", user.token.encode()).hexdigest()  # expect: LS107


def tls(url, payload):
    requests.get(url, verify=False)  # expect: LS108
    session = requests.Session()
    session.verify = False  # expect: LS108
    settings = {"timeout": 5, "verify": False}
    session.post(url, json=payload, **settings)  # expect: LS108
    pool = urllib3.PoolManager(cert_reqs="CERT_NONE")  # expect: LS108


def temp_files():
    return tempfile.mktemp(suffix=".txt")  # expect: LS109


def delete_account(request, account, api_token):
    assert api_token == account.api_token  # expect: LS110
    assert request.user.is_admin  # expect: LS110
    assert request.user.has_perm("accounts.delete"), "forbidden"  # expect: LS110
    account.delete()


AWS_ACCESS_KEY_ID = "AKIAZ7QW3ERT5YUI8OP2"  # expect: LS104
GITHUB_TOKEN = "ghp_4f9aZ2kQ8mXbW1cR7tYhL0pN3sVdE6uJ5gKq"  # expect: LS104
DATABASE_URL = "postgresql://admin:Tr0ub4dor3@db.internal:5432/app"  # expect: LS104
SECRET_KEY = "k9#mQ2$vX7!pL4@wZ8^nR3&tY6*bH1eF"  # expect: LS104
db_password = "Winter2024!"  # expect: LS104
client = connect(host="db", password="hunter2-prod")  # expect: LS104
# expect-next: LS104
PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEA7Y8
-----END RSA PRIVATE KEY-----"""
DB_PASSWORD = "postgres"  # expect: LS104
HEADERS = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"}  # expect: LS104
