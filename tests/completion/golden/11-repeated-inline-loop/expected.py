values = [⟦0, 1⟧]
