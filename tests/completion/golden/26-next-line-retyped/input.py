def total(items):<|cursor|>
    return sum(items)
