total = value<|cursor|>
