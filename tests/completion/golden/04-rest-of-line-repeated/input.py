x = compute(<|cursor|>)  # total
