# ruff: noqa
# fmt: off
# select: LC
def tangled(a, b, c, d):  # expect: LC401
    if a:
        for x in b:
            if c:
                while d:
                    if x:  # expect: LC402
                        return 1
                    d -= 1
    if a and b or c:
        return 2
    elif b:
        return 3
    elif c:
        return 4
    return 5 if d else 6


def simple(a):
    if a:
        return 1
    return 2
