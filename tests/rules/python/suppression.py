# ruff: noqa
# fmt: off
import os


def run(cmd, x):
    os.system(cmd)  # lantern: ignore[LS102]
    # lantern: ignore[LS102, LS101]
    os.system(cmd)
    os.system(cmd)  # lantern: ignore[LB204]  # expect: LS102
    os.system(cmd)  # lantern: ignore
    if x == None:  # expect: LB204
        return 1
