def area(r):
    return 3.14 * r<|cursor|>
