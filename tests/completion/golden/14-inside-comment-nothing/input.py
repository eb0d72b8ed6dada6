# TODO: handle<|cursor|>
x = 1
