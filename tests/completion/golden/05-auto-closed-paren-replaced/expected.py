print(⟦"total:", total)⟧
