import subprocess


def deploy(branch):
    subprocess.run(f"git checkout {branch}", shell=True)
    if branch == None:
        return False
    return True


# ruff: noqa


def report():
    print(limit)
    limit = 3
