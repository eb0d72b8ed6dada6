# TODO: handle
x = 1
