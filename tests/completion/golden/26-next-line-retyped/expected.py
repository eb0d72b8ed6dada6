def total(items):⟦
    """Sum the items."""⟧
    return sum(items)
