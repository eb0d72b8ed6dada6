"""Monthly reports: a small module with the kind of problems Lantern finds."""

import hashlib
import subprocess

import yaml


def load_settings(path):
    with open(path) as handle:
        return yaml.load(handle)


def archive(folder, name):
    subprocess.run(f"tar czf {name}.tgz {folder}", shell=True)


def totals(rows, months=[]):
    for row in rows:
        if row.get("month") == None:
            continue
        months.append(row["month"])
    return months


def password_digest(password):
    return hashlib.md5(password.encode()).hexdigest()


def find_user(cursor, name):
    cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return cursor.fetchone()
