print(<|cursor|>)
