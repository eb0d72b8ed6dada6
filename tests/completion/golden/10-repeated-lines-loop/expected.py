def setup():
    items = []
    ⟦items.append(1)⟧
