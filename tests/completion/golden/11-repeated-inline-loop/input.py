values = [<|cursor|>]
